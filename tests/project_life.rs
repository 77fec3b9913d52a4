#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! Starting and living with a project: `init`, `completions`, `man`, and the CI workflow that
//! docs/ci.md shows and `init` writes — each `cadence …` line it runs parsed by the CLI itself.

use std::path::Path;
use std::process::Command;

use clap::{CommandFactory, Parser};

use cadence::cli::Cli;

fn cadence_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cadence"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CADENCE_FORMAT")
        .output()
        .expect("run cadence");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn here() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn init_writes_a_project_that_checks_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sales");
    let d = dir.to_str().unwrap();
    let (code, _, err) = cadence_in(here(), &["init", d]);
    assert_eq!(code, 0, "{err}");
    for (rel, text) in cadence::cli::init::FILES {
        assert_eq!(
            std::fs::read_to_string(dir.join(rel)).unwrap(),
            *text,
            "{rel}"
        );
    }
    let project = dir.join("cadences");
    let p = project.to_str().unwrap();
    let (code, _, err) = cadence_in(here(), &["check", "--deny-warnings", p]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cadence_in(here(), &["fmt", "--check", p]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    // it has a simulation that runs, and tests the checker accepts
    let (code, out, err) = cadence_in(here(), &["simulate", p, "--count", "500"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("simulation starter"), "{out}");
    let text = std::fs::read_to_string(project.join("tests.cadence")).unwrap();
    assert!(text.matches("\ntest \"").count() >= 3);

    // a second init refuses, names every file that exists, and changes nothing
    std::fs::write(project.join("pipeline.cadence"), "# mine\n").unwrap();
    let (code, _, err) = cadence_in(here(), &["init", d]);
    assert_eq!(code, 2);
    assert!(err.contains("pipeline.cadence"), "{err}");
    assert!(err.contains("never overwrites"), "{err}");
    assert_eq!(
        std::fs::read_to_string(project.join("pipeline.cadence")).unwrap(),
        "# mine\n"
    );
    // one existing file is enough: nothing else is written
    let other = tmp.path().join("other");
    std::fs::create_dir_all(other.join(".github/workflows")).unwrap();
    std::fs::write(other.join(".github/workflows/cadence.yml"), "keep").unwrap();
    let (code, _, err) = cadence_in(here(), &["init", other.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("cadence.yml"), "{err}");
    assert!(!other.join("cadences").exists());
    // the default is the current folder
    let cwd = tmp.path().join("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    assert_eq!(cadence_in(&cwd, &["init"]).0, 0);
    assert!(cwd.join("cadences/outbound.cadence").is_file());
}

#[test]
fn completions_and_the_man_page_come_from_the_cli() {
    let (code, bash, _) = cadence_in(here(), &["completions", "bash"]);
    assert_eq!(code, 0);
    for sub in Cli::command().get_subcommands() {
        assert!(
            bash.contains(sub.get_name()),
            "bash completes `{}`",
            sub.get_name()
        );
    }
    assert!(bash.contains("--deny-warnings"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let (code, out, err) = cadence_in(here(), &["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains("cadence"), "{shell}");
    }
    assert_eq!(cadence_in(here(), &["completions", "tcsh"]).0, 2);
    let (code, man, _) = cadence_in(here(), &["man"]);
    assert_eq!(code, 0);
    assert!(man.contains(".TH cadence 1"));
    for sub in ["check", "simulate", "init"] {
        assert!(man.contains(sub), "the man page lists `{sub}`");
    }
}

/// Commands the workflow runs that land from another branch; the list may only shrink: once the
/// CLI has the command, it must leave the list (and its line is parsed like every other).
const NOT_YET_IN_THE_CLI: &[&str] = &[];

/// The `cadence …` commands in a shell script: each line's words from `cadence` up to the first
/// shell operator (redirections, pipes, `;`, `&&`).
fn cadence_commands(script: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in script.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        // `cadence` as a command: first on its line or after a shell keyword or operator (not
        // an argument, as in `cargo install … cadence`)
        let Some(start) = words.iter().enumerate().position(|(i, w)| {
            *w == "cadence" && (i == 0 || matches!(words[i - 1], "then" | "do" | "&&" | "||" | ";"))
        }) else {
            continue;
        };
        let cmd: Vec<String> = words[start..]
            .iter()
            .take_while(|w| !matches!(**w, ">" | ">>" | "|" | ";" | "&&" | "||" | "2>&1"))
            .map(|w| w.to_string())
            .collect();
        out.push(cmd);
    }
    out
}

fn assert_real_commands(what: &str, script: &str) -> usize {
    let known: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for pending in NOT_YET_IN_THE_CLI {
        assert!(
            !known.iter().any(|k| k == pending),
            "`cadence {pending}` exists now: take it off NOT_YET_IN_THE_CLI"
        );
    }
    let mut parsed = 0;
    for cmd in cadence_commands(script) {
        if NOT_YET_IN_THE_CLI.contains(&cmd[1].as_str()) {
            continue;
        }
        if let Err(e) = Cli::try_parse_from(&cmd) {
            panic!("{what}: `{}` does not parse:\n{e}", cmd.join(" "));
        }
        parsed += 1;
    }
    parsed
}

fn yaml_of(text: &str) -> yaml_rust2::Yaml {
    yaml_rust2::YamlLoader::load_from_str(text)
        .expect("the workflow is YAML")
        .remove(0)
}

/// The scripts of a workflow's steps (`run:`), in order.
fn run_scripts(doc: &yaml_rust2::Yaml) -> Vec<String> {
    let mut out = Vec::new();
    let jobs = doc["jobs"].as_hash().expect("jobs");
    for (_, job) in jobs {
        for step in job["steps"].as_vec().expect("steps") {
            if let Some(run) = step["run"].as_str() {
                out.push(run.to_string());
            }
        }
    }
    out
}

#[test]
fn the_ci_workflow_parses_and_runs_real_commands() {
    let wf = cadence::cli::init::WORKFLOW;
    let doc = yaml_of(wf);
    assert_eq!(doc["name"].as_str(), Some("cadence"));
    assert!(!doc["on"]["pull_request"].is_badvalue());
    let scripts = run_scripts(&doc);
    let all = scripts.join("\n");
    let parsed = assert_real_commands("the workflow", &all);
    assert!(parsed >= 5, "only {parsed} cadence commands parsed");
    // what the workflow promises, each once: annotations, SARIF upload, layout, build, what-if
    for needle in [
        "check --deny-warnings --format github",
        "--format sarif",
        "fmt --check --diff",
        "build cadences",
        "compare starter starter",
        "--format markdown >> \"$GITHUB_STEP_SUMMARY\"",
    ] {
        assert!(all.contains(needle), "the workflow runs `{needle}`");
    }
    let uses: Vec<&str> = doc["jobs"]["cadence"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|s| s["uses"].as_str())
        .collect();
    assert!(uses
        .iter()
        .any(|u| u.starts_with("github/codeql-action/upload-sarif@")));
    // the what-if runs on the starter project's own simulation
    let leads = cadence::cli::init::FILES
        .iter()
        .find(|(n, _)| n.ends_with("leads.cadence"))
        .unwrap()
        .1;
    assert!(leads.contains("simulation starter {"));
}

/// docs/ci.md shows the workflow `init` writes, byte for byte, and a generic CI script whose
/// commands are real too.
#[test]
fn docs_ci_shows_the_workflow_and_a_generic_script() {
    let docs = std::fs::read_to_string(here().join("docs/ci.md")).unwrap();
    let block = |lang: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = docs.as_str();
        let open = format!("```{lang}\n");
        while let Some(i) = rest.find(&open) {
            let body = &rest[i + open.len()..];
            let end = body.find("```\n").expect("a closed block");
            out.push(body[..end].to_string());
            rest = &body[end..];
        }
        out
    };
    let yaml = block("yaml");
    assert_eq!(yaml.len(), 1, "one workflow in docs/ci.md");
    assert_eq!(
        yaml[0],
        cadence::cli::init::WORKFLOW,
        "docs/ci.md shows the init workflow"
    );
    let sh = block("sh").join("\n");
    assert!(assert_real_commands("docs/ci.md", &sh) >= 5);
    for needle in [
        "check",
        "fmt --check",
        "build",
        "compare",
        "--format sarif",
        "--format markdown",
    ] {
        assert!(sh.contains(needle), "the generic script runs `{needle}`");
    }
}

#[test]
fn command_lines_are_cut_at_shell_operators() {
    let cmds = cadence_commands(
        "  cadence check --format sarif cadences > out.sarif\n# cadence nope\ncargo install x cadence\nif x; then cadence fmt --check a | tee f\n",
    );
    assert_eq!(
        cmds,
        vec![
            vec!["cadence", "check", "--format", "sarif", "cadences"],
            vec!["cadence", "fmt", "--check", "a"],
        ]
    );
}
