//! Writing files out of the store (attachments, evidence packages): new files only, 0600,
//! complete or not at all. Below `incident` and `evidence`, which both write through it.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Writes a new file at `path` through `fill`, atomically: the bytes go to a temporary
/// file (0600) beside it, are flushed to disk, and the file takes its name only when
/// `fill` succeeded; what `fill` returns is returned. An existing file at `path` is
/// refused (`AlreadyExists`) and left untouched; on any error nothing is left behind.
pub fn write_new<T, E>(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<T, E>,
    io_error: impl Fn(io::Error) -> E,
) -> Result<T, E> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if fs::symlink_metadata(path).is_ok() {
        return Err(io_error(io::ErrorKind::AlreadyExists.into()));
    }
    // tempfile creates the file 0600 on Unix and removes it when dropped unpersisted.
    let tmp = tempfile::Builder::new()
        .prefix(".vigil-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(&io_error)?;
    let mut w = BufWriter::new(tmp);
    let filled = fill(&mut w)?;
    let tmp = w.into_inner().map_err(|e| io_error(e.into_error()))?;
    tmp.as_file().sync_all().map_err(&io_error)?;
    tmp.persist_noclobber(path).map_err(|e| io_error(e.error))?;
    Ok(filled)
}

/// Creates directory `path` (and missing parents) 0700.
pub fn create_dir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
}
