#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! The first impression: the help of every command (snapshots, so a misplaced doc comment shows
//! in review), and docs that do not call a command planned once the CLI has it.

use std::process::Command;

use clap::CommandFactory;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cadence"))
        .args(args)
        .env_remove("CADENCE_FORMAT")
        .output()
        .expect("run cadence");
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn subcommands() -> Vec<(String, String)> {
    cadence::cli::Cli::command()
        .get_subcommands()
        .map(|s| {
            let about = s.get_about().map(|a| a.to_string()).unwrap_or_default();
            (s.get_name().to_string(), about)
        })
        .collect()
}

#[test]
fn every_command_has_its_own_help() {
    insta::assert_snapshot!("help", help(&["--help"]));
    let subs = subcommands();
    for (name, about) in &subs {
        // a blank or borrowed summary is how a misplaced doc comment shows
        assert!(!about.trim().is_empty(), "`{name}` has no summary");
        let others = subs.iter().filter(|(n, a)| n != name && a == about).count();
        assert_eq!(others, 0, "`{name}` shares its summary: {about}");
        insta::assert_snapshot!(format!("help_{name}"), help(&[name, "--help"]));
    }
    // each command's own help starts with its summary
    let explain = help(&["explain", "--help"]);
    assert!(
        explain.starts_with("Print the documentation of a diagnostic code"),
        "{explain}"
    );
    let simulate = help(&["simulate", "--help"]);
    assert!(simulate.starts_with("Monte Carlo simulation"), "{simulate}");
}

/// The sentences of the shipped docs that call a command "planned".
fn planned_claims() -> Vec<(String, String)> {
    let mut files = vec!["README.md".to_string(), "ARCHITECTURE.md".to_string()];
    for e in std::fs::read_dir("docs").unwrap() {
        let path = e.unwrap().path();
        // docs/ also holds the report's screenshot
        if path.extension().is_some_and(|x| x == "md") {
            files.push(path.display().to_string());
        }
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for para in text.split("\n\n") {
            let flat = para.split_whitespace().collect::<Vec<_>>().join(" ");
            for sentence in flat.split(". ") {
                let lower = sentence.to_lowercase();
                let planned = ["planned", "not yet", "coming soon", "will add"]
                    .iter()
                    .any(|w| lower.contains(w));
                if planned {
                    out.push((f.clone(), sentence.to_string()));
                }
            }
        }
    }
    out
}

#[test]
fn docs_do_not_call_existing_commands_planned() {
    let names: Vec<String> = subcommands().into_iter().map(|(n, _)| n).collect();
    let mut wrong = Vec::new();
    for (file, sentence) in planned_claims() {
        for n in &names {
            if sentence.contains(&format!("`cadence {n}`"))
                || sentence.contains(&format!("`cadence {n} "))
            {
                wrong.push(format!("{file}: `cadence {n}` exists: {sentence}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // the check sees a claim when there is one
    let probe = "Planned: `cadence check` for everything";
    assert!(names
        .iter()
        .any(|n| probe.contains(&format!("`cadence {n}`"))));
}
