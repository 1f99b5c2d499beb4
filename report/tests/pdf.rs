//! The reports read back as a person and a machine would: text extracted with poppler's
//! `pdftotext` (every field, Arabic, Cyrillic and CJK names, a 20,000-character narrative
//! flowing over pages), pages rendered with `pdftoppm`, fonts checked with `pdffonts`,
//! the PDF/A identification and output intent in the file, and the embedded proof
//! extracted with `pdfdetach`, byte-identical and verifying. Real store, system fonts
//! (tests/lib/setup.sh installs Noto, WenQuanYi and poppler-utils).

#[path = "support/demo.rs"]
mod demo;

use std::path::Path;
use std::process::Command;

use vigil_report::{incidents_from_vault, render_incidents, render_walk, walk_from_vault, Fonts};

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn text(pdf: &Path, page: Option<u32>) -> String {
    let p = pdf.to_str().unwrap();
    match page {
        None => tool("pdftotext", &[p, "-"]),
        Some(n) => tool(
            "pdftotext",
            &["-f", &n.to_string(), "-l", &n.to_string(), p, "-"],
        ),
    }
}

fn pages(pdf: &Path) -> u32 {
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("page count")
}

/// Fonts embedded, PDF/A-3b identified in the XMP metadata, an output intent.
fn check_pdfa(pdf: &Path) {
    let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type [encoding...] emb sub uni object ID: "emb" is the 5th column from the end.
        assert_eq!(cols[cols.len() - 5], "yes", "not embedded: {row}");
    }
    let bytes = std::fs::read(pdf).unwrap();
    let has = |s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
    assert!(has("<pdfaid:part>3</pdfaid:part>"), "PDF/A part");
    assert!(
        has("<pdfaid:conformance>B</pdfaid:conformance>"),
        "PDF/A conformance"
    );
    assert!(has("/OutputIntents"), "output intent");
    assert!(has("/GTS_PDFA1"), "PDF/A output intent subtype");
    assert!(
        has("/AFRelationship /Source") || has("/AFRelationship/Source"),
        "associated file"
    );
}

fn detach(pdf: &Path, dir: &Path) -> Vec<u8> {
    let out = dir.join("embedded");
    tool(
        "pdfdetach",
        &[
            "-save",
            "1",
            "-o",
            out.to_str().unwrap(),
            pdf.to_str().unwrap(),
        ],
    );
    std::fs::read(out).unwrap()
}

fn render_pages(pdf: &Path, dir: &Path) -> usize {
    let prefix = dir.join("page");
    tool(
        "pdftoppm",
        &[
            "-r",
            "40",
            "-png",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("page")
        })
        .count()
}

fn long_narrative() -> String {
    let mut s = String::from("NARRATIVE-START ");
    let sentence =
        "The subject returned to the kerb, photographed the vehicles and spoke on the phone. ";
    while s.len() < 20_000 - 20 {
        s.push_str(sentence);
    }
    s.truncate(20_000 - 14);
    s.push_str(" NARRATIVE-END");
    assert_eq!(s.chars().count(), 20_000);
    s
}

#[test]
fn the_incident_report_holds_every_field_non_latin_text_and_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = demo::demo(&dir.path().join("store"), &long_narrative());
    let mut r = incidents_from_vault(&mut d.vault, None, None, &[]).unwrap();
    r.header.team = Some("Alpha team".into());
    r.header.officer = Some("PS Hale (Bravo 2)".into());
    let fonts = Fonts::system().unwrap();
    let pdf = dir.path().join("incidents.pdf");
    std::fs::write(&pdf, render_incidents(&r, &fonts).unwrap()).unwrap();
    let all = text(&pdf, None);
    let head = &r.verification.head_hash;
    // The demo's incidents occurred hours ago in London: GMT or BST, as was in force.
    let offset = r.incidents[0].view.current.occurred.offset_minutes;
    assert!(offset == 0 || offset == 60, "{offset}");
    let zone = format!("UTC+{:02}:00, Europe/London", offset / 60);
    let photo_sha = &r
        .incidents
        .iter()
        .flat_map(|s| &s.photos)
        .next()
        .unwrap()
        .attachment
        .sha256;
    for want in [
        "Incident report",
        "Alpha team",
        "PS Hale (Bravo 2)",
        r.header.device_id.as_deref().unwrap(),
        "CHAIN VERIFIED",
        head.as_str(),
        "hostile surveillance",
        "high",
        "medical",
        zone.as_str(),
        "51.501364, -0.141890 ± 8 m (gps)",
        "CAD 4471/05",
        "AB12 CDE, Ford Transit, grey, north on Park Lane",
        "Principal moved to the rear entrance",
        "Met Police informed",
        "repeat, van",
        "venue-dorchester",
        "male, 30s, dark jacket, filming the entrance",
        "confirmed by a second sighting at 14:10",
        "attachment added",
        "severity: high",
        photo_sha.as_str(),
        "image/png",
        demo::CYRILLIC,
        demo::CJK,
        "no receipt: not synced yet",
        "NARRATIVE-START",
        "NARRATIVE-END",
    ] {
        assert!(all.contains(want), "missing {want:?}");
    }
    // Arabic: pdftotext gives the letters (in its own order); every one must be there.
    for word in demo::ARABIC.split(' ') {
        let found = all.contains(word) || all.contains(&word.chars().rev().collect::<String>());
        assert!(found, "missing Arabic {word:?}");
    }
    // The 20,000 characters flow over several pages; page n of m on each.
    let n = pages(&pdf);
    assert!(n >= 5, "{n} pages");
    let start = (1..=n)
        .find(|p| text(&pdf, Some(*p)).contains("NARRATIVE-START"))
        .unwrap();
    let end = (1..=n)
        .find(|p| text(&pdf, Some(*p)).contains("NARRATIVE-END"))
        .unwrap();
    assert!(end >= start + 3, "narrative on pages {start}..{end}");
    for p in 1..=n {
        let t = text(&pdf, Some(p));
        assert!(t.contains(&format!("Page {p} of {n}")), "page {p}");
        assert!(t.contains(head.as_str()), "footer hash on page {p}");
    }
    // Every word of the narrative is there, in order (nothing clipped at page ends).
    let flat: String = all.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.matches("photographed the vehicles").count() >= 200);
    assert_eq!(render_pages(&pdf, dir.path()), n as usize);
    check_pdfa(&pdf);
    let embedded = detach(&pdf, dir.path());
    assert_eq!(Some(&embedded), r.embedded.as_ref().map(|e| &e.data));
    let report = vigil_core::incident::verify_bundle(&embedded);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.incidents.len(), 2);
}

#[test]
fn the_advance_report_holds_the_venue_havens_routes_and_every_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = demo::demo(&dir.path().join("store"), "short");
    let r = walk_from_vault(&mut d.vault, &d.walk_id).unwrap();
    let fonts = Fonts::system().unwrap();
    let pdf = dir.path().join("walk.pdf");
    std::fs::write(&pdf, render_walk(&r, &fonts).unwrap()).unwrap();
    let all = text(&pdf, None);
    let flat: String = all.split_whitespace().collect::<Vec<_>>().join(" ");
    let signoff = r.signoff.as_ref().unwrap();
    for want in [
        "Advance report",
        "SIGNED OFF",
        "The Dorchester, Park Lane",
        "53 Park Lane, London W1K 1QA",
        "Rear service exit, Deanery Street (emergency exit)",
        "Kept locked: key with the duty manager",
        "Suite 701 dressing room (safe room)",
        "Hyde Park, Stanhope Gate (muster point)",
        "St Mary's Hospital (hospital), emergency department (A&E)",
        "Charing Cross Police Station (police)",
        "Hotel to Lancaster House",
        "Worst coverage gap",
        "Fire door propped open with a wedge",
        "ISSUE",
        "PS Hale",
        signoff.sha256.as_str(),
        signoff.device_id.as_str(),
    ] {
        assert!(flat.contains(want), "missing {want:?}");
    }
    // Every item of the template, each with its answer.
    for section in &r.walk.template.sections {
        for item in &section.items {
            let label: String = item.label.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains(&label), "item {label:?}");
        }
    }
    assert!(flat.contains(" km, bearing "), "haven distances");
    let n = pages(&pdf);
    for p in 1..=n {
        assert!(text(&pdf, Some(p)).contains(&format!("Page {p} of {n}")));
    }
    check_pdfa(&pdf);
    let embedded = detach(&pdf, dir.path());
    let back: vigil_core::advance::SignedSnapshot = serde_json::from_slice(&embedded).unwrap();
    assert_eq!(&back, signoff);
    vigil_core::advance::walk::verify_snapshot(&back).unwrap();
}

#[test]
fn no_usable_font_is_a_typed_error() {
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        Fonts::from_dirs(&[empty.path()]),
        Err(vigil_report::ReportError::NoFonts)
    ));
    let dir = tempfile::tempdir().unwrap();
    let mut d = demo::demo(&dir.path().join("store"), "short");
    let r = incidents_from_vault(&mut d.vault, None, None, &[]).unwrap();
    let junk = Fonts::from_bytes(vec![b"not a font".to_vec()]);
    assert!(matches!(
        render_incidents(&r, &junk),
        Err(vigil_report::ReportError::NoFonts)
    ));
}

/// `pdfimages -list`: (width, height) of every image in the PDF.
fn images(pdf: &Path) -> Vec<(u32, u32)> {
    tool("pdfimages", &["-list", pdf.to_str().unwrap()])
        .lines()
        .skip(2)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            Some((cols.get(3)?.parse().ok()?, cols.get(4)?.parse().ok()?))
        })
        .collect()
}

/// A `w` x `h` one-bit grey PNG (small to hold, however many pixels it claims).
fn bilevel_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        let mut writer = enc.write_header().unwrap();
        writer
            .write_image_data(&vec![0b1010_1010; (w.div_ceil(8) * h) as usize])
            .unwrap();
    }
    out
}

#[test]
fn photos_are_drawn_as_downscaled_thumbnails_and_a_huge_one_is_named_not_decoded() {
    use vigil_report::thumbnail::{self, NoThumbnail, LONG_SIDE, MAX_PIXELS};
    // A 2400 x 1600 photo becomes a 1024 x 683 JPEG.
    let jpeg = thumbnail::make(&demo::photo_png_sized(2400, 1600)).unwrap();
    let back = image::load_from_memory(&jpeg).unwrap();
    assert_eq!((back.width(), back.height()), (LONG_SIDE, 683));
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "a JPEG");
    // Over the pixel limit: refused from the header, nothing decoded.
    let huge = bilevel_png(6000, 5000);
    const { assert!(6000 * 5000 > MAX_PIXELS) };
    assert_eq!(
        thumbnail::make(&huge),
        Err(NoThumbnail::TooLarge {
            width: 6000,
            height: 5000
        })
    );
    assert_eq!(
        thumbnail::make(b"not an image"),
        Err(NoThumbnail::NotAnImage)
    );

    let dir = tempfile::tempdir().unwrap();
    let mut d = demo::demo(&dir.path().join("store"), "short");
    let fonts = Fonts::system().unwrap();
    // The advance report draws the walk's photo item (2400 x 1600) as a thumbnail.
    let w = walk_from_vault(&mut d.vault, &d.walk_id).unwrap();
    assert_eq!(w.photos.len(), 1);
    let walk_pdf = dir.path().join("walk.pdf");
    std::fs::write(&walk_pdf, render_walk(&w, &fonts).unwrap()).unwrap();
    assert_eq!(images(&walk_pdf), vec![(LONG_SIDE, 683)]);
    let flat: String = text(&walk_pdf, None)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(&w.photos[0].attachment.sha256),
        "the original's SHA-256"
    );
    // The incident report: the demo photo as a thumbnail; a huge one named, not decoded,
    // its original SHA-256 printed.
    let mut r = incidents_from_vault(&mut d.vault, None, None, &[]).unwrap();
    let section = r
        .incidents
        .iter_mut()
        .find(|s| !s.photos.is_empty())
        .unwrap();
    let mut big = section.photos[0].clone();
    big.attachment.id = "huge-photo".into();
    big.attachment.sha256 = "ab".repeat(32);
    big.bytes = Some(huge);
    section.photos.push(big);
    let pdf = dir.path().join("incidents.pdf");
    std::fs::write(&pdf, render_incidents(&r, &fonts).unwrap()).unwrap();
    assert_eq!(
        images(&pdf),
        vec![(320, 200)],
        "one thumbnail, the small photo"
    );
    let flat: String = text(&pdf, None)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("no thumbnail: 6000 x 5000 pixels is more than this report decodes"),
        "{flat}"
    );
    assert!(flat.contains(&"ab".repeat(32)));
    check_pdfa(&pdf);
}
