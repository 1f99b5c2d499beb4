//! Memory while importing stays bounded: a route file at the size limit is read with a
//! peak of allocations a phone can live with (a 43 MB GPX once peaked at 2.26 GB), and an
//! evidence package whose zip entry inflates far past the limit is refused having held
//! no more than the limit.
//! The counting allocator counts the allocations of the thread that measures, only while
//! it measures: the other tests of this binary run on other threads at the same time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use vigil_core::advance::interchange::geojson::parse_geojson;
use vigil_core::advance::interchange::gpx::parse_gpx;
use vigil_core::advance::interchange::limits::{MAX_FILE_BYTES, MAX_ROUTE_POSITIONS};
use vigil_core::advance::AdvanceError;

struct Counting;

thread_local! {
    // Const-initialised, no destructor: reading them never allocates (safe in an allocator).
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// `bytes` more (or fewer) live on this thread, if it is measuring.
fn count(bytes: isize) {
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let now = LIVE.get() + bytes;
            LIVE.set(now);
            PEAK.set(PEAK.get().max(now));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The peak of live allocations this thread makes while `f` runs, above what was live
/// before.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LIVE.set(0);
    PEAK.set(0);
    COUNTING.set(true);
    let out = f();
    COUNTING.set(false);
    (out, PEAK.get().max(0) as usize)
}

const MIB: usize = 1024 * 1024;

#[test]
fn files_at_the_size_limit_import_in_bounded_memory() {
    // A recording near the limit: points with elevation, time and a vendor extension.
    let mut gpx = String::from(
        "<gpx version=\"1.1\" xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><name>Long day</name><trkseg>",
    );
    let mut i = 0u64;
    let point = |i: u64| {
        format!(
            "<trkpt lat=\"{:.7}\" lon=\"{:.7}\"><ele>12.5</ele><time>2024-05-01T10:00:00Z</time><extensions><hr>90</hr></extensions></trkpt>\n",
            51.0 + (i % 1000) as f64 * 1e-5,
            -0.1 + (i / 1000) as f64 * 1e-4
        )
    };
    while gpx.len() + 200 < MAX_FILE_BYTES {
        gpx.push_str(&point(i));
        i += 1;
    }
    gpx.push_str("</trkseg></trk></gpx>");
    let (routes, peak) = peak_during(|| parse_gpx(gpx.as_bytes()));
    let routes = routes.unwrap();
    assert!(routes[0].line.len() <= MAX_ROUTE_POSITIONS);
    assert!(
        peak < 32 * MIB,
        "GPX of {} bytes peaked at {peak} bytes",
        gpx.len()
    );
    eprintln!(
        "GPX {} bytes, {} positions: peak {} bytes",
        gpx.len(),
        i,
        peak
    );
    drop(gpx);

    let mut geojson = String::from(
        "{\"type\":\"Feature\",\"properties\":{\"name\":\"Long day\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[",
    );
    let mut n = 0u64;
    while geojson.len() + 100 < MAX_FILE_BYTES && n < 199_000 {
        if n > 0 {
            geojson.push(',');
        }
        geojson.push_str(&format!(
            "[{:.7},{:.7},12.5]",
            -0.1 + (n / 1000) as f64 * 1e-4,
            51.0 + (n % 1000) as f64 * 1e-5
        ));
        n += 1;
    }
    geojson.push_str("]}}");
    let (routes, peak) = peak_during(|| parse_geojson(&geojson));
    let routes = routes.unwrap();
    assert!(routes[0].line.len() <= MAX_ROUTE_POSITIONS);
    eprintln!(
        "GeoJSON {} bytes, {n} positions: peak {peak} bytes",
        geojson.len()
    );
    assert!(
        peak < 64 * MIB,
        "GeoJSON of {} bytes peaked at {peak} bytes",
        geojson.len()
    );
    drop(geojson);

    // A file at the limit of nothing but small values is refused before it is parsed.
    let mut zeros = String::from("{\"type\":\"Feature\",\"properties\":{\"x\":[0");
    while zeros.len() + 40 < MAX_FILE_BYTES {
        zeros.push_str(",0");
    }
    zeros.push_str("]},\"geometry\":null}");
    let (refused, peak) = peak_during(|| parse_geojson(&zeros));
    assert!(
        matches!(
            refused,
            Err(AdvanceError::TooLarge { ref what, .. }) if what == "JSON values"
        ),
        "{refused:?}"
    );
    assert!(peak < MIB, "refusing peaked at {peak} bytes");
}

#[test]
fn a_package_whose_manifest_inflates_to_256_mib_is_refused_in_bounded_memory() {
    use std::io::Write;
    use vigil_core::evidence::verify::MAX_TEXT_FILE;
    use vigil_core::evidence::{verify_package, PackageProblem};
    // A zip bomb: manifest.json is 256 MiB of zeros, about 250 KB deflated.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        z.start_file("manifest.json", options).unwrap();
        let zeros = vec![0u8; MIB];
        for _ in 0..256 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() < 2 * MIB as u64);
    let (report, peak) = peak_during(|| verify_package(&path));
    assert!(!report.ok);
    assert_eq!(report.problem, Some(PackageProblem::TooLarge));
    assert_eq!(report.file.as_deref(), Some("manifest.json"));
    eprintln!("hostile package: peak {peak} bytes");
    // The buffer never passes the limit; growing it to the limit briefly holds the
    // half-size buffer beside it.
    assert!(
        (peak as u64) < MAX_TEXT_FILE * 3 / 2 + 4 * MIB as u64,
        "refusing peaked at {peak} bytes"
    );
}
