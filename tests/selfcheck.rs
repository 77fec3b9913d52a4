//! The fuzz targets' invariants (`cadence::selfcheck`) on the stable toolchain, run by
//! `cargo test`: mutations of the shipped files (byte flips, line deletions and duplications,
//! splices of two files, inserted keywords, Unicode and huge numbers) go through the same two
//! functions as `fuzz/` does. Inputs the fuzzer once failed on go to `tests/cases/fuzz/`,
//! a seed folder here as for `scripts/fuzz`. `PROPTEST_CASES=2000` explores deeper; the
//! coverage-guided run is `scripts/fuzz` (docs/fuzzing.md).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cadence::selfcheck::{build_simulate, parse_check_fmt};
use proptest::prelude::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cadence_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.extension().is_some_and(|x| x == "cadence"));
    out.sort();
    out
}

/// The seeds, as the fuzz script lays them out: every shipped file alone, and each project
/// folder as one file.
fn seeds() -> &'static Vec<(String, Vec<u8>)> {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut out = Vec::new();
        // tests/cases/fuzz: inputs the fuzzer once failed on (docs/fuzzing.md), kept fixed here
        for dir in [
            "cadences",
            "examples",
            "tests/cases/good",
            "tests/cases/bad",
            "tests/cases/fuzz",
        ] {
            for p in cadence_files(&root().join(dir)) {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
        for dir in ["cadences", "tests/cases/good"] {
            let all: Vec<u8> = cadence_files(&root().join(dir))
                .iter()
                .flat_map(|p| std::fs::read(p).unwrap())
                .collect();
            out.push((format!("{dir} as one file"), all));
        }
        assert!(out.len() > 20, "the shipped files are missing");
        out
    })
}

/// The baseline: the seeds (the fuzzer's past findings included) hold the invariants, and the properties are not vacuous (some seeds
/// check clean and run simulations, so mutants reach the builds and the simulator).
#[test]
fn shipped_files_hold_the_invariants() {
    let (mut clean, mut simulated) = (0, 0);
    for (name, bytes) in seeds() {
        let seen = parse_check_fmt(bytes).unwrap_or_else(|v| panic!("{name}: {v}"));
        clean += usize::from(seen.clean);
        simulated += build_simulate(bytes).unwrap_or_else(|v| panic!("{name}: {v}"));
    }
    assert!(clean >= 5, "only {clean} seeds check clean");
    assert!(simulated >= 3, "only {simulated} simulations ran");
}

// ───────────────────────────── mutations ─────────────────────────────

/// Fragments that bend a file: keywords, punctuation, Unicode, numbers at and past the limits.
const INSERTS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "->",
    ",",
    "\"",
    "#",
    "..",
    "%",
    "step",
    "stage",
    "exit",
    "on",
    "when",
    "after",
    "track t {",
    "cadence",
    "simulation s { cadence c leads l }",
    "not ",
    "and",
    "or",
    "immediately",
    "at most 0 times",
    "count 1",
    "horizon 3650d",
    "seed 18446744073709551615",
    "99999999999999999999",
    "1000000000000000",
    "4294967296",
    "0.0000001%",
    "100%",
    "0d",
    "24:00",
    "2026-02-29",
    "2026-03-08 02:30",
    "\u{FEFF}",
    "\u{0}",
    "\u{85}",
    "需求",
    "😀",
    "e\u{301}",
    "\r",
    "\t",
    "\n",
];

#[derive(Debug, Clone)]
enum Mutation {
    FlipByte {
        at: usize,
        bit: u8,
    },
    DeleteLine(usize),
    DuplicateLine(usize),
    Insert {
        at: usize,
        text: &'static str,
    },
    /// the first part of this file and the rest of another seed
    Splice {
        at: usize,
        other: usize,
        from: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipByte { at, bit }),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), prop::sample::select(INSERTS))
            .prop_map(|(at, text)| Mutation::Insert { at, text }),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(at, other, from)| Mutation::Splice { at, other, from }),
    ]
}

/// Line starts of `bytes` (0 included) and its length.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    v
}

fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let starts = line_starts(bytes);
    let line = |i: usize| {
        let a = starts[i % starts.len()];
        let b = starts
            .get(i % starts.len() + 1)
            .copied()
            .unwrap_or(bytes.len());
        (a, b)
    };
    match *m {
        Mutation::FlipByte { at, bit } if !out.is_empty() => {
            let n = out.len();
            out[at % n] ^= 1 << bit;
        }
        Mutation::DeleteLine(i) => {
            let (a, b) = line(i);
            out.drain(a..b);
        }
        Mutation::DuplicateLine(i) => {
            let (a, b) = line(i);
            let copy = bytes[a..b].to_vec();
            out.splice(a..a, copy);
        }
        Mutation::Insert { at, text } => {
            let at = at % (out.len() + 1);
            out.splice(at..at, text.bytes());
        }
        Mutation::Splice { at, other, from } => {
            let seeds = seeds();
            let other = &seeds[other % seeds.len()].1;
            out.truncate(at % (out.len() + 1));
            out.extend_from_slice(&other[from % (other.len() + 1)..]);
        }
        _ => {}
    }
    out
}

#[test]
fn mutations_do_what_they_say() {
    let t = b"a\nb\nc";
    assert_eq!(apply(t, &Mutation::DeleteLine(1)), b"a\nc");
    assert_eq!(apply(t, &Mutation::DeleteLine(2)), b"a\nb\n");
    assert_eq!(apply(t, &Mutation::DuplicateLine(0)), b"a\na\nb\nc");
    assert_eq!(apply(t, &Mutation::FlipByte { at: 0, bit: 0 }), b"`\nb\nc");
    let ins = apply(t, &Mutation::Insert { at: 2, text: "需" });
    assert_eq!(ins, "a\n需b\nc".as_bytes());
    let seeds = seeds();
    let spliced = apply(
        t,
        &Mutation::Splice {
            at: 1,
            other: 0,
            from: 0,
        },
    );
    assert_eq!(spliced[0], b'a');
    assert_eq!(&spliced[1..], seeds[0].1.as_slice());
}

/// Case counts keep this file at a few seconds in the debug profile.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn mutant(seed: usize, mutations: &[Mutation]) -> Vec<u8> {
    let seeds = seeds();
    mutations
        .iter()
        .fold(seeds[seed % seeds.len()].1.clone(), |b, m| apply(&b, m))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(250), failure_persistence: None, ..ProptestConfig::default() })]

    /// Load, parse, check, render and format a mutant.
    #[test]
    fn mutants_parse_check_and_format(
        seed in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let bytes = mutant(seed, &mutations);
        if let Err(v) = parse_check_fmt(&bytes) {
            return Err(TestCaseError::fail(format!("{v}\n--- input ---\n{}", String::from_utf8_lossy(&bytes))));
        }
    }
}

/// The seeds that check clean and hold a `simulation`, short enough to build and simulate in
/// milliseconds (the big project folders are covered unmutated above).
fn simulating_seeds() -> Vec<&'static [u8]> {
    let pool: Vec<&[u8]> = seeds()
        .iter()
        .map(|(_, b)| b.as_slice())
        .filter(|b| b.len() < 20_000 && build_simulate(b).is_ok_and(|n| n > 0))
        .collect();
    assert!(pool.len() >= 3, "only {} small seeds simulate", pool.len());
    pool
}

/// Build and simulate mutants of seeds that simulate (one mutation each, so that many still
/// check clean); the count
/// of mutants that reached the simulator must not be zero, or the property says nothing.
#[test]
fn mutants_build_and_simulate() {
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: cases(30),
        failure_persistence: None,
        ..Config::default()
    });
    let pool = simulating_seeds();
    let simulated = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&(any::<usize>(), mutation()), |(seed, m)| {
        let bytes = apply(pool[seed % pool.len()], &m);
        match build_simulate(&bytes) {
            Ok(n) => {
                simulated.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
            Err(v) => Err(TestCaseError::fail(format!(
                "{v}\n--- input ---\n{}",
                String::from_utf8_lossy(&bytes)
            ))),
        }
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let n = simulated.into_inner();
    assert!(n > 0, "no mutant reached the simulator");
    eprintln!("{n} simulations of mutants ran");
}
