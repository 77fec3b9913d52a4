//! Where the commands' output goes when that place fails: a closed pipe (`cadence ... | head`)
//! ends a command quietly with its own exit code, a full stdout is exit 2 with a message, never a
//! panic; and a build cleans up the staging folders a killed build left behind.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

mod abuse;
use abuse::*;

const BAD: &str = "tests/cases/bad";

/// Every command that writes to stdout, and the exit code it gives with a working stdout.
fn commands() -> Vec<(Vec<&'static str>, i32)> {
    let sim = ["--count", "200", "--threads", "1"];
    let mut simulate_json = vec!["simulate", "cadences", "--format", "json"];
    simulate_json.extend(sim);
    let mut simulate_text = vec!["simulate", "cadences"];
    simulate_text.extend(sim);
    let mut compare = vec![
        "compare",
        "inbound_2026q2",
        "inbound_national_day",
        "--path",
        "cadences",
    ];
    compare.extend(sim);
    let mut compare_json = compare.clone();
    compare_json.extend(["--format", "json"]);
    vec![
        (vec!["check", "--format", "json", BAD], 1),
        (vec!["check", "--format", "github", BAD], 1),
        (vec!["explain", "all"], 0),
        (vec!["explain", "E0412"], 0),
        (vec!["schema"], 0),
        (vec!["build", "cadences", "--target", "json"], 0),
        (simulate_json, 0),
        (simulate_text, 0),
        (compare, 0),
        (compare_json, 0),
        (vec!["simulate", BAD, "--format", "json"], 1),
    ]
}

/// Run with stdout a pipe whose reader is closed right away (before the command has loaded
/// anything); returns the exit code and stderr.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(manifest())
        .env("NO_COLOR", "1")
        .env_remove("CADENCE_FORMAT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_commands_own_code() {
    for (args, want) in commands() {
        let (code, err) = with_closed_stdout(&args);
        assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
        assert_eq!(code, Some(want), "{args:?}:\n{err}");
        assert!(!err.contains("cannot write"), "{args:?} complained:\n{err}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_is_exit_2_with_a_message() {
    for (args, _) in commands() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(BIN)
            .args(&args)
            .current_dir(manifest())
            .env("NO_COLOR", "1")
            .env_remove("CADENCE_FORMAT")
            .stdout(full)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
        assert_eq!(out.status.code(), Some(2), "{args:?}:\n{err}");
        assert!(err.contains("cannot write to stdout"), "{args:?}:\n{err}");
    }
}

// ───────────────────────────── leftovers of a killed build ─────────────────────────────

fn age(path: &Path, by: Duration) {
    let f = std::fs::File::open(path).unwrap();
    f.set_modified(SystemTime::now() - by).unwrap();
}

/// A build killed before its last rename leaves `.json.staging-XXXXXX` (and, between the two
/// renames, `.json.old-XXXXXX`) next to `DIR/json`. The next build removes those older than ten
/// minutes; younger ones may belong to a build still running, and a user's look-alike stays.
#[test]
fn a_build_removes_stale_folders_a_killed_build_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mk = |name: &str, file: &str| {
        let p = out.join(name);
        let f = p.join(file);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, "{}").unwrap();
        p
    };
    let staging = mk(".json.staging-Ab12cD", "project.json");
    let old = mk(".json.old-x9Y8z7", "json/project.json");
    let young = mk(".json.staging-young1", "project.json");
    let other_target = mk(".zoho.staging-Qw3rTy", "cadence.a.json");
    let lookalike = mk(".json.staging-notes", "mine.txt");
    let user_file = out.join(".json.old-abc123");
    std::fs::write(&user_file, "a file, not a folder").unwrap();
    for p in [&staging, &old, &other_target, &lookalike, &user_file] {
        age(p, Duration::from_secs(3600));
    }
    let r = run_in(
        &manifest(),
        &[
            "build",
            "cadences",
            "--target",
            "json",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert!(out.join("json/project.json").is_file());
    assert!(!staging.exists(), "a stale staging folder is left");
    assert!(!old.exists(), "a stale moved-aside folder is left");
    for kept in [&young, &other_target, &lookalike, &user_file] {
        assert!(kept.exists(), "{} was removed", kept.display());
    }
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let want = [
        ".json.old-abc123",
        ".json.staging-notes",
        ".json.staging-young1",
        ".zoho.staging-Qw3rTy",
        "json",
    ];
    assert_eq!(names, want);
}

#[test]
fn leftover_names_are_recognised_exactly() {
    use cadence::fsio::is_swap_leftover;
    assert!(is_swap_leftover(".json.staging-Ab12cD", "json"));
    assert!(is_swap_leftover(".json.old-000000", "json"));
    assert!(!is_swap_leftover(".json.staging-Ab12c", "json"));
    assert!(!is_swap_leftover(".json.staging-Ab12cDe", "json"));
    assert!(!is_swap_leftover(".json.staging-Ab-2cD", "json"));
    assert!(!is_swap_leftover("json.staging-Ab12cD", "json"));
    assert!(!is_swap_leftover(".zoho.staging-Ab12cD", "json"));
    assert!(!is_swap_leftover(".json.new-Ab12cD", "json"));
}
