//! The fonts a report is set in: given as bytes (phones ship their own) or found in font
//! directories (the CLI and the server: the system's). No font is built in: a font that
//! covers Arabic, Cyrillic and CJK is megabytes the phone apps already carry.

use std::path::Path;
use std::sync::Arc;

use super::ReportError;

/// Font files (TrueType, OpenType, collections), in order of preference: for each
/// character the first font that has it is used.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fonts {
    pub(crate) files: Vec<Arc<Vec<u8>>>,
}

/// System font directories of Linux and macOS, searched by [`Fonts::system`].
const SYSTEM_DIRS: &[&str] = &[
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
];

/// Families preferred first when found (a text face before symbol or display faces).
const PREFERRED: &[&str] = &[
    "NotoSans-Regular",
    "NotoSans-Bold",
    "DejaVuSans.",
    "DejaVuSans-Bold.",
    "NotoSansArabic-Regular",
    "NotoSansArabic-Bold",
    "wqy-microhei",
    "NotoSansCJK",
];

/// The most one font file may hold (a CJK collection is about 20-60 MB).
const MAX_FONT: u64 = 128 * 1024 * 1024;

impl Fonts {
    /// Fonts from their files' bytes, first preferred.
    pub fn from_bytes(files: Vec<Vec<u8>>) -> Fonts {
        Fonts {
            files: files.into_iter().map(Arc::new).collect(),
        }
    }

    /// The `.ttf`, `.otf` and `.ttc` files under `dirs` (recursively), the common text
    /// faces first (Noto Sans, DejaVu Sans, Noto Sans Arabic, a CJK face), then the
    /// rest by name. Only regular and bold faces are taken.
    pub fn from_dirs(dirs: &[&Path]) -> Result<Fonts, ReportError> {
        let mut paths = Vec::new();
        for d in dirs {
            collect(d, &mut paths, 0);
        }
        paths.sort_by_key(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let rank = PREFERRED
                .iter()
                .position(|w| name.starts_with(w))
                .unwrap_or(PREFERRED.len());
            (rank, name)
        });
        let mut files = Vec::new();
        for p in paths {
            let Ok(meta) = std::fs::metadata(&p) else {
                continue;
            };
            if meta.len() > MAX_FONT {
                continue;
            }
            match std::fs::read(&p) {
                Ok(b) => files.push(Arc::new(b)),
                Err(e) => return Err(ReportError::FontIo(e.kind())),
            }
        }
        if files.is_empty() {
            return Err(ReportError::NoFonts);
        }
        Ok(Fonts { files })
    }

    /// The system's fonts (Linux, macOS).
    pub fn system() -> Result<Fonts, ReportError> {
        let dirs: Vec<&Path> = SYSTEM_DIRS.iter().map(Path::new).collect();
        Fonts::from_dirs(&dirs)
    }
}

/// Regular and bold faces only (italic, light, condensed... are not used by reports and
/// would only slow the fallback), of the Sans families reports prefer when present.
fn wanted(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let ext_ok = lower.ends_with(".ttf") || lower.ends_with(".otf") || lower.ends_with(".ttc");
    let style_ok = ![
        "italic",
        "oblique",
        "light",
        "thin",
        "condensed",
        "semi",
        "extra",
        "black",
        "medium",
        "mono",
        "serif",
        "display",
        "math",
        "ui-",
        "ui.",
    ]
    .iter()
    .any(|w| lower.contains(w));
    let is_noto = lower.starts_with("noto");
    // Of Noto's hundreds of faces, the text faces of the scripts reports meet.
    let noto_ok = !is_noto
        || [
            "notosans-",
            "notosansarabic-",
            "notosanscjk",
            "notosanshebrew-",
            "notosansdevanagari-",
            "notosansthai-",
            "notosansarmenian-",
            "notosansgeorgian-",
        ]
        .iter()
        .any(|w| lower.starts_with(w));
    ext_ok && style_ok && noto_ok
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>, depth: u32) {
    if depth > 6 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            collect(&path, out, depth + 1);
        } else if wanted(&e.file_name().to_string_lossy()) {
            out.push(path);
        }
    }
}
