package app.vigil.testsupport

import app.vigil.core.model.KdfChoice
import app.vigil.core.model.KdfParams

/** Cheap KDF parameters, asked for explicitly: tests must stay fast. */
val FAST_KDF = KdfChoice(KdfParams.Argon2id(64u, 1u, 1u), true)

/** A small GPX 1.1 track: Westminster to the Guildhall, about 3.4 km. */
const val SMALL_GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="vigil test" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>Westminster to Guildhall</name><trkseg>
    <trkpt lat="51.5007" lon="-0.1246"/>
    <trkpt lat="51.5079" lon="-0.1100"/>
    <trkpt lat="51.5130" lon="-0.0990"/>
    <trkpt lat="51.5157" lon="-0.0919"/>
  </trkseg></trk>
</gpx>
"""
