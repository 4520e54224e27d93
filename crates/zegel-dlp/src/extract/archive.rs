//! ZIP containers: plain archives (opened recursively), and the OOXML and ODF files that are ZIPs inside.
//!
//! Declared sizes are never trusted: every entry is read through the running byte budget in chunks, and an
//! entry that expands more than `max_ratio` times its compressed size (once over 1 MiB) is a zip bomb.

use std::io::{Cursor, Read};

use zip::ZipArchive;
use zip::result::ZipError;

use super::{Ctx, child, office};

pub(crate) type Archive<'b> = ZipArchive<Cursor<&'b [u8]>>;

/// Below this size an entry's compression ratio is not judged (small XML compresses very well).
const RATIO_FLOOR: u64 = 1 << 20;

/// Opens `bytes` as a ZIP container and extracts what is in it.
pub(crate) fn container(
    ctx: &mut Ctx<'_>,
    bytes: &[u8],
    path: &[String],
    depth: usize,
) -> Result<(), String> {
    let mut zip =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("malformed archive: {e}"))?;
    if !ctx.charge_entries(path, zip.len()) {
        return Ok(());
    }
    let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("word/document.xml") || has("xl/workbook.xml") || has("ppt/presentation.xml") {
        office::ooxml(ctx, &mut zip, &names, path, depth)
    } else if has("content.xml") && (has("mimetype") || has("META-INF/manifest.xml")) {
        office::odf(ctx, &mut zip, path)
    } else {
        plain(ctx, &mut zip, path, depth);
        Ok(())
    }
}

/// A plain archive: every file entry is extracted as a file of its own, one level deeper.
fn plain(ctx: &mut Ctx<'_>, zip: &mut Archive<'_>, path: &[String], depth: usize) {
    for i in 0..zip.len() {
        if ctx.stopped {
            return;
        }
        let Ok(meta) = zip.by_index_raw(i) else {
            continue;
        };
        if meta.is_dir() {
            continue;
        }
        let name = meta.name().to_owned();
        drop(meta);
        let entry_path = child(path, &name);
        if depth + 1 > ctx.limits.max_depth {
            ctx.problem(
                &entry_path,
                format!(
                    "nested too deep (more than {} levels)",
                    ctx.limits.max_depth
                ),
            );
            continue;
        }
        match read_entry(ctx, zip, i, &entry_path) {
            Ok(data) => ctx.file(&name, &data, &entry_path, depth + 1),
            Err(reason) => ctx.problem(&entry_path, reason),
        }
    }
}

/// Reads entry `i` in full, within the budget. A global limit also stops the extraction.
pub(crate) fn read_entry(
    ctx: &mut Ctx<'_>,
    zip: &mut Archive<'_>,
    i: usize,
    path: &[String],
) -> Result<Vec<u8>, String> {
    let file = match zip.by_index(i) {
        Ok(f) => f,
        Err(ZipError::UnsupportedArchive(m)) if m == ZipError::PASSWORD_REQUIRED => {
            return Err("encrypted archive".into());
        }
        Err(e) => return Err(format!("unreadable archive entry: {e}")),
    };
    let compressed = file.compressed_size().max(1);
    read_bounded(ctx, file, compressed, path)
}

/// Reads `r` to the end, charging every byte to the budget.
fn read_bounded(
    ctx: &mut Ctx<'_>,
    mut r: impl Read,
    compressed: u64,
    path: &[String],
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("unreadable archive entry: {e}")),
        };
        ctx.bytes_read += n as u64;
        if ctx.bytes_read > ctx.limits.max_bytes_read {
            let reason = format!(
                "size limit: more than {} bytes uncompressed (zip bomb?)",
                ctx.limits.max_bytes_read
            );
            ctx.stop(path, reason.clone());
            return Err(reason);
        }
        out.extend_from_slice(&chunk[..n]);
        let len = out.len() as u64;
        if len > RATIO_FLOOR && len / compressed > ctx.limits.max_ratio {
            return Err(format!(
                "zip bomb: entry expands more than {} times",
                ctx.limits.max_ratio
            ));
        }
        if ctx.out_of_time() {
            let reason = "deadline exceeded before the attachment was fully scanned";
            ctx.stop(path, reason);
            return Err(reason.into());
        }
    }
    Ok(out)
}
