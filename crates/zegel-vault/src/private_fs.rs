//! Files and directories only the server's own user can read: the data directory, the SQLite database
//! and the blobs are created 0700/0600, whatever the process umask says.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates `dir` and any missing parents with mode 0700 (existing directories are left as they are).
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Creates (or truncates) `path` for writing with mode 0600.
pub fn create_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

/// Creates `path` empty with mode 0600 when it does not exist yet (SQLite then opens it, and gives its
/// journal and WAL files the same mode).
pub fn touch(path: &Path) -> io::Result<()> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn modes_are_private() {
        let root = tempfile::TempDir::new().unwrap();
        let dir = root.path().join("a/b");
        create_dir_all(&dir).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        create_file(&dir.join("f")).unwrap();
        assert_eq!(mode(&dir.join("f")), 0o600);
        touch(&dir.join("db")).unwrap();
        assert_eq!(mode(&dir.join("db")), 0o600);
    }
}
