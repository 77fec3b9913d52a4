//! The `.cadence` files of a project as they were at a git revision, read with `git` itself
//! (`ls-tree`, `cat-file --batch`): no checkout, no change to the work tree or the index.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::syntax::MAX_FILE_BYTES;

/// Run git in `dir` and return its standard output; a failure is its standard error in words.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(err.trim().to_string())
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).trim_end().to_string()
}

/// The `.cadence` files under `path` (a folder or one file) at revision `rev`, named relative to
/// `path` (a file: by its own name), as the working tree's project names them. Symbolic links
/// and submodules at the revision are not sources (docs/security.md).
pub fn files_at(path: &Path, rev: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    if rev.starts_with('-') || rev.contains(char::is_whitespace) || rev.is_empty() {
        return Err(format!("`{rev}` is not a git revision"));
    }
    let is_dir = path.is_dir();
    let dir = if is_dir {
        path.to_path_buf()
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf)
    };
    let top = text(
        git(&dir, &["rev-parse", "--show-toplevel"])
            .map_err(|e| format!("`{}` is not in a git repository ({e})", path.display()))?,
    );
    let prefix = text(git(&dir, &["rev-parse", "--show-prefix"])?);
    let commit = format!("{rev}^{{commit}}");
    git(&dir, &["rev-parse", "--verify", "--quiet", &commit])
        .map_err(|_| format!("`{rev}` names no commit in `{top}`"))?;
    let wanted = if is_dir {
        prefix.clone()
    } else {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("{prefix}{name}")
    };
    let mut args = vec!["ls-tree", "-r", "-z", "--full-tree", rev];
    if !wanted.is_empty() {
        args.push("--");
        args.push(&wanted);
    }
    let listing = git(Path::new(&top), &args)?;
    // `MODE TYPE OID\tPATH\0`: regular blobs only
    let mut entries: Vec<(String, String)> = Vec::new();
    for rec in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let rec = String::from_utf8_lossy(rec);
        let Some((meta, file)) = rec.split_once('\t') else {
            continue;
        };
        let mut m = meta.split(' ');
        let (mode, kind, oid) = (m.next(), m.next(), m.next());
        if kind != Some("blob") || !matches!(mode, Some("100644" | "100755")) {
            continue;
        }
        if !file.ends_with(".cadence") {
            continue;
        }
        let rel = if is_dir {
            file.strip_prefix(&prefix).unwrap_or(file).to_string()
        } else {
            file.rsplit('/').next().unwrap_or(file).to_string()
        };
        if let Some(oid) = oid {
            entries.push((rel, oid.to_string()));
        }
    }
    entries.sort();
    blobs(Path::new(&top), entries)
}

/// The contents of blobs by id, through one `git cat-file --batch`; a blob over the size limit
/// is cut at the limit plus one byte, so the loader reports it as too large.
fn blobs(top: &Path, entries: Vec<(String, String)>) -> Result<Vec<(String, Vec<u8>)>, String> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut input = String::new();
    for (_, oid) in &entries {
        input.push_str(oid);
        input.push('\n');
    }
    let mut stdin = child.stdin.take().ok_or("git cat-file: no input pipe")?;
    // git answers each line as it reads it: write from another thread so neither side blocks
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .ok_or("git cat-file: no output pipe")?
        .read_to_end(&mut out)
        .map_err(|e| format!("git cat-file: {e}"))?;
    let _ = writer.join();
    let status = child.wait().map_err(|e| format!("git cat-file: {e}"))?;
    if !status.success() {
        return Err("git cat-file failed".into());
    }
    let mut files = Vec::new();
    let mut at = 0usize;
    for (name, _) in entries {
        let header_end = out
            .get(at..)
            .and_then(|rest| rest.iter().position(|b| *b == b'\n'))
            .map(|p| at + p)
            .ok_or("git cat-file: truncated answer")?;
        let header = String::from_utf8_lossy(&out[at..header_end]).to_string();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("git cat-file: unexpected answer `{header}`"))?;
        let start = header_end + 1;
        let end = start
            .checked_add(size)
            .filter(|e| *e <= out.len())
            .ok_or("git cat-file: truncated answer")?;
        let keep = size.min(MAX_FILE_BYTES + 1);
        files.push((name, out[start..start + keep].to_vec()));
        at = end + 1;
    }
    Ok(files)
}
