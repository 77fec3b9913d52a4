//! The CLI abused by its environment (issue 10): a really full disk (a small tmpfs in a user
//! namespace, skipped where not allowed), a full stdout, builds killed at random moments, and no
//! network at all (docs/security.md says how this is tested).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
use std::process::{Command, Stdio};
use std::time::Duration;

mod abuse;
use abuse::*;

// ───────────────────────────── a real full disk, Ctrl-C ─────────────────────────────

/// Whether `unshare -rm` can give us a private tmpfs (unprivileged user namespaces).
#[cfg(target_os = "linux")]
fn can_mount_tmpfs() -> bool {
    Command::new("unshare")
        .args(["-rm", "sh", "-c", "mount -t tmpfs -o size=64k none /tmp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Run `script` (sh) in a private mount namespace where `$MNT` is a fresh 256 KiB tmpfs, `$BIN`
/// the binary and `$LOG` a file outside the tmpfs (stderr must not hit the full disk too);
/// returns its stdout.
#[cfg(target_os = "linux")]
fn in_small_tmpfs(script: &str) -> String {
    let mnt = tempfile::tempdir().unwrap();
    let log = tempfile::NamedTempFile::new().unwrap();
    let full = format!("set -e; mount -t tmpfs -o size=256k none \"$MNT\"; cd \"$MNT\"; {script}");
    let out = Command::new("unshare")
        .args(["-rm", "sh", "-c", &full])
        .env("MNT", mnt.path())
        .env("LOG", log.path())
        .env("BIN", BIN)
        .env("SRC", manifest().join("cadences"))
        .env("NO_COLOR", "1")
        .output()
        .expect("unshare");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `fmt` on a full disk: the new text cannot be written, so the file keeps every byte (the old
/// in-place write truncated it to what fitted).
#[cfg(target_os = "linux")]
#[test]
fn fmt_on_a_full_disk_keeps_the_file() {
    if !can_mount_tmpfs() {
        eprintln!("skipped: no unprivileged tmpfs here");
        return;
    }
    let out = in_small_tmpfs(
        r#"
        sed 's/^/    /' "$SRC/b2b_pipeline.cadence" > a.cadence
        sum_before=$(cksum < a.cadence)
        dd if=/dev/zero of=fill bs=1k count=1000 2>/dev/null || true
        set +e
        "$BIN" fmt a.cadence > /dev/null 2> "$LOG"
        code=$?
        set -e
        echo "code=$code"
        [ "$(cksum < a.cadence)" = "$sum_before" ] && echo intact
        echo "tmp=$(ls -a | grep -c '^\.cadence-')"
        cat "$LOG"
        "#,
    );
    assert!(out.contains("code=2"), "{out}");
    assert!(out.contains("intact"), "{out}");
    assert!(out.contains("No space left on device"), "{out}");
    assert!(out.contains("tmp=0"), "a temporary file was left: {out}");
}

/// A build on a full disk: the previous build stays whole and no staging folder is left.
#[cfg(target_os = "linux")]
#[test]
fn build_on_a_full_disk_keeps_the_previous_build() {
    if !can_mount_tmpfs() {
        eprintln!("skipped: no unprivileged tmpfs here");
        return;
    }
    let out = in_small_tmpfs(
        r#"
        "$BIN" build "$SRC" --target salesloft -o out --allow-lossy 2>/dev/null
        before=$(cat out/salesloft/* | cksum); n=$(ls out/salesloft | wc -l)
        dd if=/dev/zero of=fill bs=1k count=1000 2>/dev/null || true
        set +e
        "$BIN" build "$SRC" --target salesloft -o out --allow-lossy 2> "$LOG"
        code=$?
        set -e
        echo "code=$code files=$n"
        [ "$(cat out/salesloft/* | cksum)" = "$before" ] && echo intact
        echo "entries=$(ls -a out | tr '\n' ' ')"
        cat "$LOG"
        "#,
    );
    assert!(out.contains("code=2"), "{out}");
    assert!(out.contains("intact"), "{out}");
    assert!(out.contains("entries=. .. salesloft \n"), "{out}");
}

/// Killing `build -o` at any moment leaves either the previous set or the new one, each file
/// complete JSON (the old writes left truncated files).
#[cfg(unix)]
#[test]
fn an_interrupted_build_never_leaves_truncated_json() {
    let dir = tempfile::tempdir().unwrap();
    copy_project(dir.path(), "p");
    let args = [
        "build",
        "p",
        "--target",
        "zoho",
        "-o",
        "out",
        "--allow-lossy",
    ];
    assert_eq!(run_in(dir.path(), &args).code, Some(0));
    let expected = snapshot(&dir.path().join("out/zoho")).len();
    for i in 0..12u64 {
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + i * 15));
        let _ = child.kill();
        let _ = child.wait();
        let files = snapshot(&dir.path().join("out/zoho"));
        assert_eq!(files.len(), expected, "run {i}: a partial set");
        // the bodies and setup.json are JSON; SETUP.md is the report beside them
        for (p, bytes) in files
            .into_iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "json"))
        {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .unwrap_or_else(|e| panic!("run {i}: {} is not whole JSON: {e}", p.display()));
        }
    }
}

// ───────────────────────────── no network ─────────────────────────────

/// No network client, TLS or socket crate is in the dependency tree, and the sources never name
/// `std::net`: nothing in the binary can open a connection.
#[test]
fn nothing_in_the_build_can_talk_to_the_network() {
    let lock = std::fs::read_to_string(manifest().join("Cargo.lock")).unwrap();
    let names: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|l| l.trim_end_matches('"'))
        .collect();
    assert!(names.contains(&"serde"), "Cargo.lock not parsed");
    let network = [
        "reqwest",
        "hyper",
        "ureq",
        "curl",
        "isahc",
        "attohttpc",
        "h2",
        "http",
        "tokio",
        "async-std",
        "mio",
        "socket2",
        "rustls",
        "native-tls",
        "openssl",
        "openssl-sys",
        "ring",
        "trust-dns-resolver",
        "hickory-resolver",
        "tungstenite",
        "websocket",
    ];
    for n in network {
        assert!(!names.contains(&n), "`{n}` is in Cargo.lock");
    }
    let mut stack = vec![manifest().join("src")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for word in ["std::net", "TcpStream", "UdpSocket", "TcpListener"] {
                    assert!(!text.contains(word), "{} names {word}", p.display());
                }
            }
        }
    }
}

/// Every command works inside an empty network namespace (no interface but a down loopback),
/// where `unshare -rn` is allowed.
#[cfg(target_os = "linux")]
#[test]
fn every_command_runs_without_a_network() {
    let ok = Command::new("unshare")
        .args(["-rn", "true"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("skipped: no unprivileged network namespace here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    copy_project(dir.path(), "p");
    for args in [
        vec!["check", "p"],
        vec!["fmt", "--check", "p"],
        vec![
            "build",
            "p",
            "--target",
            "hubspot",
            "-o",
            "out",
            "--allow-lossy",
        ],
        vec![
            "simulate",
            "p",
            "--simulation",
            "dormant_2026",
            "--count",
            "200",
        ],
        vec!["explain", "E0412"],
    ] {
        let out = Command::new("unshare")
            .arg("-rn")
            .arg(BIN)
            .args(&args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A full stdout (`> /dev/full`) is an I/O error (exit 2), not a panic (exit 101).
#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    copy_project(dir.path(), "p");
    std::fs::write(dir.path().join("a.cadence"), UNFORMATTED).unwrap();
    for (args, want) in [
        (vec!["build", "p", "--target", "json"], 2),
        (vec!["fmt", "--check", "a.cadence"], 1),
        (vec!["fmt", "a.cadence"], 0),
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(BIN)
            .args(&args)
            .current_dir(dir.path())
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(want),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
