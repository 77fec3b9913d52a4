//! Helpers shared by the integration tests: a checked model from source text, and the CLI.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use cadence::model::Model;
use cadence::project::Project;

/// The check of one source text as a project.
pub fn checked(text: &str) -> cadence::check::Checked {
    cadence::check::check(&Project::from_texts(&[("t.cadence", text)]))
}

/// The model of a source text that must check without errors (the errors and text otherwise).
pub fn model_of(text: &str) -> Model {
    let c = checked(text);
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{} {}", d.code.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{text}");
    c.model
}

/// Run the binary: (exit code, stdout, stderr).
pub fn cli(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cadence"))
        .args(args)
        .env_remove("CADENCE_FORMAT")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
