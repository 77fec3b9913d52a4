//! The CLI abused as a hostile or careless user would (issue 10): FIFOs and devices named as
//! sources, failing writes, failing builds over a good one, symlinks out of the project or out
//! of the output folder, renamed files and other spellings of the same path. Each test asserts
//! the exit code, the message and that no byte outside the places the command may write changed.
//!
//! Every run has a deadline, so a hang (a FIFO opened for reading) fails instead of blocking.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod abuse;
use abuse::*;

// ───────────────────────────── item 4: only regular files ─────────────────────────────

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(ok.success());
}

#[cfg(unix)]
#[test]
fn a_fifo_source_is_refused_by_every_command_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let project = copy_project(dir.path(), "p");
    mkfifo(&project.join("pipe.cadence"));
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["check", "p"],
        vec!["check", "p/pipe.cadence"],
        vec!["fmt", "p"],
        vec!["fmt", "--check", "p/pipe.cadence"],
        vec!["build", "p", "--target", "json", "-o", out_s],
        vec![
            "simulate",
            "p",
            "--simulation",
            "dormant_2026",
            "--count",
            "10",
        ],
        vec!["simulate", "p/pipe.cadence", "--count", "10"],
    ];
    for args in cases {
        let r = run_in(dir.path(), &args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.describe());
        assert!(
            r.stderr.contains("pipe.cadence") && r.stderr.contains("FIFO"),
            "{args:?}: {}",
            r.describe()
        );
    }
    assert!(!out.exists(), "a failed build wrote {}", out.display());
}

#[cfg(unix)]
#[test]
fn a_fifo_ids_file_is_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    copy_project(dir.path(), "p");
    mkfifo(&dir.path().join("ids.toml"));
    let r = run_in(
        dir.path(),
        &["build", "p", "--target", "json", "--ids", "ids.toml"],
    );
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert!(r.stderr.contains("ids.toml") && r.stderr.contains("FIFO"));
}

#[cfg(target_os = "linux")]
#[test]
fn dev_zero_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let r = run_in(dir.path(), &["check", "/dev/zero"]);
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert!(r.stderr.contains("/dev/zero") && r.stderr.contains("device"));
    assert!(start.elapsed() < Duration::from_secs(20));
}

/// A regular file whose metadata says 0 bytes but which reads longer (Linux `/proc` files, or a
/// file that grows after the size check): the limit holds while reading.
#[cfg(target_os = "linux")]
#[test]
fn the_size_limit_holds_while_reading() {
    let p = Path::new("/proc/self/maps");
    assert_eq!(std::fs::metadata(p).unwrap().len(), 0);
    match cadence::fsio::read_regular(p, 16) {
        Err(cadence::fsio::ReadFail::TooLarge(None)) => {}
        other => panic!("{other:?}"),
    }
    assert!(cadence::fsio::read_regular(p, 1 << 22).is_ok());
}

// ───────────────────────────── item 5: atomic writes ─────────────────────────────

/// A write that fails half-way (a full disk) leaves the old file whole and no temporary file.
#[test]
fn a_failing_write_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.cadence");
    let old = "x".repeat(10_000);
    std::fs::write(&file, &old).unwrap();
    let r = cadence::fsio::replace_with(&file, |f| {
        f.write_all(&[b'y'; 4096])?;
        Err(std::io::Error::other("No space left on device"))
    });
    assert!(r.is_err());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), old);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "a temporary file was left: {names:?}");
    // and a write that succeeds replaces the whole file, keeping its mode
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        cadence::fsio::replace(&file, b"new").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
}

/// `fmt` into a folder it cannot create files in: the rename-based write fails before the
/// user's file is touched (the old in-place write truncated it first).
#[cfg(unix)]
#[test]
fn fmt_that_cannot_write_keeps_the_file_whole() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("p");
    std::fs::create_dir(&sub).unwrap();
    let file = sub.join("a.cadence");
    std::fs::write(&file, UNFORMATTED).unwrap();
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o555)).unwrap();
    // root ignores permissions; the test means nothing then
    let writable = std::fs::File::create(sub.join("probe")).is_ok();
    let r = run_in(dir.path(), &["fmt", "p"]);
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
    if writable {
        return;
    }
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert!(r.stderr.contains("unchanged"), "{}", r.describe());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), UNFORMATTED);
}

#[test]
fn fmt_writes_the_formatted_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.cadence"), UNFORMATTED).unwrap();
    let r = run_in(dir.path(), &["fmt", "a.cadence"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let text = std::fs::read_to_string(dir.path().join("a.cadence")).unwrap();
    assert!(
        text.starts_with("calendar c {\n  timezone \"UTC\""),
        "{text}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

// ───────────────────────────── item 6: all-or-nothing builds ─────────────────────────────

#[test]
fn a_failing_strict_build_leaves_the_previous_build_intact() {
    let dir = tempfile::tempdir().unwrap();
    copy_project(dir.path(), "p");
    let lossy = run_in(
        dir.path(),
        &[
            "build",
            "p",
            "--target",
            "zoho",
            "-o",
            "out",
            "--allow-lossy",
        ],
    );
    assert_eq!(lossy.code, Some(0), "{}", lossy.describe());
    let before = snapshot(dir.path());
    assert!(
        before
            .keys()
            .filter(|p| p.starts_with(dir.path().join("out")))
            .count()
            > 10
    );
    for args in [
        vec!["build", "p", "--target", "zoho", "-o", "out", "--strict"],
        vec![
            "build",
            "p",
            "--target",
            "zoho",
            "-o",
            "out",
            "--allow-lossy",
            "--strict",
        ],
    ] {
        let r = run_in(dir.path(), &args);
        assert_eq!(r.code, Some(1), "{args:?}: {}", r.describe());
        assert!(r.stderr.contains("unchanged"), "{}", r.describe());
        assert_eq!(snapshot(dir.path()), before, "{args:?} changed files");
    }
}

#[test]
fn a_failing_json_build_keeps_project_json() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_project(dir.path(), "p");
    let ok = run_in(dir.path(), &["build", "p", "--target", "json", "-o", "out"]);
    assert_eq!(ok.code, Some(0), "{}", ok.describe());
    std::fs::write(p.join("broken.cadence"), "calendar {").unwrap();
    let before = snapshot(&dir.path().join("out"));
    let r = run_in(dir.path(), &["build", "p", "--target", "json", "-o", "out"]);
    assert_eq!(r.code, Some(1), "{}", r.describe());
    assert_eq!(snapshot(&dir.path().join("out")), before);
}

#[test]
fn a_good_build_replaces_the_set_and_refuses_folders_it_does_not_own() {
    let dir = tempfile::tempdir().unwrap();
    copy_project(dir.path(), "p");
    let args = [
        "build",
        "p",
        "--target",
        "hubspot",
        "-o",
        "out",
        "--allow-lossy",
    ];
    assert_eq!(run_in(dir.path(), &args).code, Some(0));
    // a stale output of an earlier build goes; the new set is complete
    let stale = dir.path().join("out/hubspot/cadence.gone.json");
    std::fs::write(&stale, "{}").unwrap();
    let r = run_in(dir.path(), &args);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert!(!stale.exists());
    // nothing but the outputs: no staging or moved-aside folders are left
    let names: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["hubspot"]);
    // a file the build did not write: refused, nothing deleted
    let mine = dir.path().join("out/hubspot/notes.txt");
    std::fs::write(&mine, "mine").unwrap();
    let before = snapshot(dir.path());
    let r = run_in(dir.path(), &args);
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert!(r.stderr.contains("notes.txt"), "{}", r.describe());
    assert_eq!(snapshot(dir.path()), before);
}

// ───────────────────────────── item 7: symlinks ─────────────────────────────

#[cfg(unix)]
#[test]
fn links_out_of_the_project_are_refused_and_never_written_through() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("victim.cadence"), UNFORMATTED).unwrap();
    let p = dir.path().join("p");
    std::fs::create_dir(&p).unwrap();
    std::fs::write(p.join("a.cadence"), UNFORMATTED).unwrap();
    symlink(outside.join("victim.cadence"), p.join("evil.cadence")).unwrap();
    let before = snapshot(&outside);
    for args in [
        vec!["check", "p"],
        vec!["fmt", "p"],
        vec!["fmt", "p/evil.cadence"],
    ] {
        let r = run_in(dir.path(), &args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.describe());
        assert!(
            r.stderr.contains("evil.cadence"),
            "{args:?}: {}",
            r.describe()
        );
        assert_eq!(
            snapshot(&outside),
            before,
            "{args:?} wrote outside the project"
        );
    }
    // a linked folder that leads out is refused the same way
    std::fs::remove_file(p.join("evil.cadence")).unwrap();
    symlink(&outside, p.join("more")).unwrap();
    let r = run_in(dir.path(), &["fmt", "p"]);
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert!(r.stderr.contains("more") && r.stderr.contains("outside the project"));
    assert_eq!(snapshot(&outside), before);
}

#[cfg(unix)]
#[test]
fn a_link_inside_the_project_is_followed_once() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p");
    std::fs::create_dir(&p).unwrap();
    let good = "calendar c {\n  timezone \"UTC\"\n  workdays mon..fri\n  hours 09:00..17:00\n}\n";
    std::fs::write(p.join("b.cadence"), good).unwrap();
    std::os::unix::fs::symlink("b.cadence", p.join("a.cadence")).unwrap();
    let r = run_in(dir.path(), &["check", "p"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert!(r.stderr.contains("checked 1 file"), "{}", r.describe());
}

#[cfg(unix)]
#[test]
fn build_never_writes_through_a_planted_link() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    copy_project(dir.path(), "p");
    let victim = dir.path().join("victim.json");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::create_dir_all(dir.path().join("out/json")).unwrap();
    symlink(&victim, dir.path().join("out/json/project.json")).unwrap();
    let r = run_in(dir.path(), &["build", "p", "--target", "json", "-o", "out"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let out = dir.path().join("out/json/project.json");
    assert!(std::fs::symlink_metadata(&out).unwrap().is_file());
    // the output folder itself a link to somewhere else: that folder is not touched
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("project.json"), "precious").unwrap();
    std::fs::remove_dir_all(dir.path().join("out/json")).unwrap();
    symlink(&elsewhere, dir.path().join("out/json")).unwrap();
    let r = run_in(dir.path(), &["build", "p", "--target", "json", "-o", "out"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("project.json")).unwrap(),
        "precious"
    );
    assert!(std::fs::symlink_metadata(dir.path().join("out/json"))
        .unwrap()
        .is_dir());
}

// ───────────────────────────── item 9: stable output ─────────────────────────────

fn build_bytes(cwd: &Path, project: &str, target: &str) -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let r = run_in(
        cwd,
        &[
            "build",
            project,
            "--target",
            target,
            "-o",
            o,
            "--allow-lossy",
        ],
    );
    assert_eq!(r.code, Some(0), "{project}: {}", r.describe());
    std::fs::read_dir(out.path().join(target))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn path_spelling_does_not_change_the_build() {
    let dir = tempfile::tempdir().unwrap();
    copy_project(dir.path(), "A");
    let abs = dir.path().join("A");
    for target in ["json", "hubspot"] {
        let plain = build_bytes(dir.path(), "A", target);
        assert_eq!(plain, build_bytes(dir.path(), "./A", target), "{target}");
        assert_eq!(plain, build_bytes(dir.path(), "A/", target), "{target}");
        assert_eq!(
            plain,
            build_bytes(dir.path(), abs.to_str().unwrap(), target),
            "{target}"
        );
    }
    let json = build_bytes(dir.path(), "./A", "json");
    let text = String::from_utf8(json["project.json"].clone()).unwrap();
    assert!(
        text.contains("\"file\": \"b2b_pipeline.cadence\""),
        "paths are relative to the root"
    );
}

/// Drop every `source` location (file names differ after a rename; nothing else may).
fn without_sources(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.remove("source");
            m.values_mut().for_each(without_sources);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(without_sources),
        _ => {}
    }
}

#[test]
fn renaming_files_does_not_reorder_or_renumber_the_build() {
    let dir = tempfile::tempdir().unwrap();
    copy_project(dir.path(), "a");
    let b = copy_project(dir.path(), "b");
    // reverse the sort order of the files
    let mut names: Vec<_> = std::fs::read_dir(&b)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for (i, n) in names.iter().enumerate() {
        std::fs::rename(b.join(n), b.join(format!("{:02}_{n}", 99 - i))).unwrap();
    }
    let json = |p: &str| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&build_bytes(dir.path(), p, "json")["project.json"]).unwrap();
        without_sources(&mut v);
        v
    };
    assert_eq!(json("a"), json("b"));
    for target in ["hubspot", "zoho", "salesloft"] {
        assert_eq!(
            build_bytes(dir.path(), "a", target),
            build_bytes(dir.path(), "b", target),
            "{target}"
        );
    }
}

// ───────────────────────────── item 10 (parts) ─────────────────────────────

#[test]
fn fmt_on_a_folder_without_sources_reports_e0005_like_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let check = run_in(dir.path(), &["check", "empty"]);
    for args in [vec!["fmt", "empty"], vec!["fmt", "--check", "empty"]] {
        let r = run_in(dir.path(), &args);
        assert!(r.stderr.contains("E0005"), "{args:?}: {}", r.describe());
        assert!(r.stderr.contains("no `.cadence` files in `empty`"));
        assert_eq!(r.code, check.code, "{args:?}: {}", r.describe());
    }
}

#[test]
fn a_non_utf8_ids_file_is_e0003_like_a_source() {
    let dir = tempfile::tempdir().unwrap();
    copy_project(dir.path(), "p");
    std::fs::write(
        dir.path().join("ids.toml"),
        b"[templates]\nx = \"\xff\xfe\"\n",
    )
    .unwrap();
    let r = run_in(
        dir.path(),
        &["build", "p", "--target", "json", "--ids", "ids.toml"],
    );
    std::fs::write(dir.path().join("bad.cadence"), b"calendar \xff").unwrap();
    let src = run_in(dir.path(), &["check", "bad.cadence"]);
    assert_eq!(r.code, src.code, "{}", r.describe());
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains("E0003") && r.stderr.contains("ids.toml"),
        "{}",
        r.describe()
    );
    assert!(r.stdout.is_empty());
}

#[test]
fn e0105_underlines_only_the_bad_escape() {
    let dir = tempfile::tempdir().unwrap();
    let text = "pipeline p {\n  title \"abc\\rdef\"\n  stage s { outcome won }\n}\n";
    std::fs::write(dir.path().join("e.cadence"), text).unwrap();
    let r = run_in(dir.path(), &["check", "--format", "json", "e.cadence"]);
    assert_eq!(r.code, Some(1), "{}", r.describe());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "E0105");
    let (start, end) = (
        d["span"]["start_byte"].as_u64().unwrap() as usize,
        d["span"]["end_byte"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], "\\r");
}
