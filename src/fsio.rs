//! The only places the tool touches the file system for reading sources and writing results:
//! bounded reads of regular files, atomic replacement of one file, and the all-or-nothing swap
//! of a build's output folder. The policies are described in docs/security.md.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadFail {
    /// The path cannot be opened or is not a regular file (a folder, FIFO, device or socket).
    Io(String),
    /// The file holds more than the limit; the size when the metadata knew it.
    TooLarge(Option<u64>),
}

/// What a non-regular file is, for messages.
fn kind_of(meta: &fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

fn not_regular(path: &Path, meta: &fs::Metadata) -> ReadFail {
    ReadFail::Io(format!(
        "`{}` is {}; only regular files are read",
        path.display(),
        kind_of(meta)
    ))
}

/// Read a regular file of at most `limit` bytes. FIFOs and devices are refused before they are
/// opened (opening a FIFO blocks until a writer comes), and the limit holds while reading, so a
/// file that grows after its size was looked at cannot exhaust memory.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadFail> {
    let io = |e: io::Error| ReadFail::Io(format!("cannot read `{}`: {e}", path.display()));
    let meta = fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    if meta.len() > limit {
        return Err(ReadFail::TooLarge(Some(meta.len())));
    }
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // the path may be swapped for a FIFO after the check above: never block on open
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let file = opts.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadFail::TooLarge(None));
    }
    Ok(bytes)
}

/// Replace `path` with `bytes` atomically: readers and a crash see the old file or the new one,
/// never a part. See [`replace_with`].
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_with(path, |f| f.write_all(bytes))
}

/// Write through `write` into a temporary file in the folder of `path`, fsync it and rename it
/// over `path`. On any error the temporary file is removed and `path` is untouched. A symlink at
/// `path` is replaced by the file, never written through.
pub fn replace_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = parent_of(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".cadence-")
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    write(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    // keep the mode of the file being replaced (tempfile creates 0600)
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => tmp.as_file().set_permissions(m.permissions())?,
        _ => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                tmp.as_file()
                    .set_permissions(fs::Permissions::from_mode(0o644))?;
            }
        }
    }
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(&dir);
    Ok(())
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Make a rename durable (best effort: not every platform can open a folder).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Create `path` (and its folders) with `bytes`; a file already there is an error and is kept
/// (`create_new`, so one appearing meanwhile is never overwritten either).
pub fn create_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Why a build's output folder was not replaced.
#[derive(Debug)]
pub struct SwapError(pub String);

/// Whether `name` is a file `cadence build` writes.
pub fn is_build_output(name: &str) -> bool {
    name == "project.json"
        || name == "SETUP.md"
        || name == "setup.json"
        || ((name.starts_with("cadence.") || name.starts_with("pipeline."))
            && name.ends_with(".json"))
}

/// Replace the folder `dest` with exactly `files` (name → bytes), all or nothing.
///
/// The files are written and fsynced in a fresh staging folder next to `dest`, then `dest` is
/// moved aside and the staging folder renamed into place; the old folder is deleted last. An
/// existing `dest` that holds anything the build does not write (another name, a folder) is
/// refused before anything changes, so no user file is deleted. A symlink at `dest` or inside it
/// is removed as a link, never followed. Folders a killed build left next to `dest` are removed
/// first once they are stale ([`is_swap_leftover`], [`STALE_AFTER`]).
pub fn swap_dir(dest: &Path, files: &[(&str, &[u8])]) -> Result<(), SwapError> {
    let err =
        |what: &str, p: &Path, e: io::Error| SwapError(format!("{what} `{}`: {e}", p.display()));
    let parent = parent_of(dest);
    let old = match fs::symlink_metadata(dest) {
        Ok(m) if m.is_dir() => {
            check_owned(dest)?;
            true
        }
        Ok(m) if m.file_type().is_symlink() => true,
        Ok(_) => {
            return Err(SwapError(format!(
                "`{}` exists and is not a folder; remove it or choose another `-o`",
                dest.display()
            )))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(err("cannot read", dest, e)),
    };
    fs::create_dir_all(&parent).map_err(|e| err("cannot create", &parent, e))?;
    let base = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    remove_stale(&parent, &base);
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{base}.staging-"))
        .tempdir_in(&parent)
        .map_err(|e| err("cannot create a staging folder in", &parent, e))?;
    for (name, bytes) in files {
        let p = staging.path().join(name);
        let write = || -> io::Result<()> {
            let mut f = File::create(&p)?;
            f.write_all(bytes)?;
            f.sync_all()
        };
        write().map_err(|e| err("cannot write", &p, e))?;
    }
    sync_dir(staging.path());
    let staged = staging.keep();
    let cleanup = |e: SwapError| {
        let _ = fs::remove_dir_all(&staged);
        e
    };
    let aside = if old {
        let aside = tempfile::Builder::new()
            .prefix(&format!(".{base}.old-"))
            .tempdir_in(&parent)
            .map_err(|e| cleanup(err("cannot create a folder in", &parent, e)))?;
        let aside = aside.keep().join(&base);
        fs::rename(dest, &aside).map_err(|e| cleanup(err("cannot move aside", dest, e)))?;
        Some(aside)
    } else {
        None
    };
    if let Err(e) = fs::rename(&staged, dest) {
        // put the previous build back so the folder is as it was
        if let Some(a) = &aside {
            let _ = fs::rename(a, dest);
        }
        return Err(cleanup(err("cannot move the new build to", dest, e)));
    }
    sync_dir(&parent);
    if let Some(a) = aside {
        remove_aside(&a);
    }
    Ok(())
}

/// How long a staging or moved-aside folder must lie untouched before a build takes it for the
/// leftover of a killed build: a running build holds its own for well under a second, so this
/// margin keeps two builds started together from removing each other's folders.
pub const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// Whether `name` is a folder [`swap_dir`] makes next to `DIR/BASE`: `.BASE.staging-XXXXXX` or
/// `.BASE.old-XXXXXX` (tempfile's six random letters and digits).
pub fn is_swap_leftover(name: &str, base: &str) -> bool {
    [".staging-", ".old-"].iter().any(|kind| {
        name.strip_prefix('.')
            .and_then(|n| n.strip_prefix(base))
            .and_then(|n| n.strip_prefix(kind))
            .is_some_and(|r| r.len() == 6 && r.bytes().all(|b| b.is_ascii_alphanumeric()))
    })
}

/// Remove the staging and moved-aside folders that a killed build of `DIR/BASE` left in `dir`
/// (best effort; only real folders with our names, untouched for [`STALE_AFTER`]).
fn remove_stale(dir: &Path, base: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(meta) = fs::symlink_metadata(e.path()) else {
            continue;
        };
        let age = meta.modified().ok().and_then(|m| m.elapsed().ok());
        if meta.is_dir() && is_swap_leftover(&name, base) && age.is_some_and(|a| a >= STALE_AFTER) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Delete a moved-aside build and its holder folder; a link is removed, not followed.
fn remove_aside(aside: &Path) {
    match fs::symlink_metadata(aside) {
        Ok(m) if m.is_dir() => {
            let _ = fs::remove_dir_all(aside);
        }
        _ => {
            let _ = fs::remove_file(aside);
        }
    }
    if let Some(holder) = aside.parent() {
        let _ = fs::remove_dir(holder);
    }
}

/// An existing output folder may be replaced only if everything in it is a build output
/// (regular files or planted links with the names the build writes).
fn check_owned(dest: &Path) -> Result<(), SwapError> {
    let entries = fs::read_dir(dest)
        .map_err(|e| SwapError(format!("cannot read `{}`: {e}", dest.display())))?;
    for e in entries {
        let e = e.map_err(|e| SwapError(format!("cannot read `{}`: {e}", dest.display())))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(true);
        if is_dir || !is_build_output(&name) {
            return Err(SwapError(format!(
                "`{}` holds `{name}`, which `cadence build` did not write; the build replaces the whole folder, so move that away or choose another `-o`",
                dest.display()
            )));
        }
    }
    Ok(())
}
