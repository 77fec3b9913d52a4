//! The text reports of `simulate` and `compare` laid out from the data's widths: long step and
//! stage names keep every column of a table in line. Snapshots, and an alignment check computed
//! here in display width (`unicode-width`; names are ASCII in the language, Chinese comes with
//! titles and messages, and `simulate::columns`' own tests lay out Chinese cells).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use common::cli;
use unicode_width::UnicodeWidthStr;

/// Two versions of one cadence: long names, Chinese messages, and a call only the candidate
/// makes.
const PROJECT: &str = r#"
pipeline sales {
  events replied_ev
  stage first_contact_with_a_rather_long_stage_name {
    exit to won when replied_ev
    exit to lost when dwell > 30d
  }
  stage won { outcome won }
  stage lost { outcome lost }
}
cadence emails {
  pipeline sales stage first_contact_with_a_rather_long_stage_name
  exit replied on reply -> set replied_ev
  exit bounced on bounce
  exit unsubscribed_from_every_marketing_email on unsubscribe
  step welcome email "你好" immediately
  step second_follow_up_email_after_the_webinar_recording email "Again" after 3d
  step last email "last一封" after 3d
}
cadence emails_and_a_follow_up_call {
  pipeline sales stage first_contact_with_a_rather_long_stage_name
  exit replied on reply -> set replied_ev
  exit bounced on bounce
  exit unsubscribed_from_every_marketing_email on unsubscribe
  step welcome email "你好" immediately
  step second_follow_up_email_after_the_webinar_recording email "Again" after 3d
  step call_back_after_the_second_email call "电话" after 1d
    on connected -> set replied_ev
  step last email "last一封" after 2d
}
leads prospects {
  count 2000
  respond email { replied 8%, bounced 3%, unsubscribed 2% }
  respond call { connected 10%, voicemail 40% }
}
simulation baseline {
  cadence emails
  leads prospects
  count 2000
  start 2026-03-02 09:00
  horizon 60d
  seed 3
}
simulation with_call {
  cadence emails_and_a_follow_up_call
  leads prospects
  count 2000
  start 2026-03-02 09:00
  horizon 60d
  seed 3
}
"#;

fn project() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.cadence"), PROJECT).unwrap();
    let path = dir.path().to_string_lossy().into_owned();
    (dir, path)
}

fn run(args: &[&str]) -> String {
    let (code, out, err) = cli(args);
    assert_eq!(code, 0, "{err}");
    out
}

/// The lines of the table under `title`, up to the next blank line.
fn table<'a>(text: &'a str, title: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| !l.starts_with(title))
        .skip(1)
        .take_while(|l| !l.is_empty() && l.starts_with("  "))
        .collect()
}

/// Each row's cells (split at runs of two or more spaces) with their start and end columns in
/// display width.
fn cells(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut col = 0;
    let mut start = None;
    let chars: Vec<char> = line.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let w = c.to_string().width();
        let gap = *c == ' ' && (chars.get(i + 1) == Some(&' ') || i > 0 && chars[i - 1] == ' ');
        match (gap, start) {
            (false, None) => start = Some(col),
            (true, Some(s)) => {
                out.push((s, col));
                start = None;
            }
            _ => {}
        }
        col += w;
    }
    if let Some(s) = start {
        out.push((s, col));
    }
    out
}

/// Column `c` of every row starts (left-aligned) or ends (right-aligned) at one column.
fn aligned(rows: &[&str], c: usize, right: bool) {
    let at: Vec<usize> = rows
        .iter()
        .map(|r| {
            let cs = cells(r);
            if right {
                cs[c].1
            } else {
                cs[c].0
            }
        })
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] == w[1]),
        "column {c}: {at:?}\n{}",
        rows.join("\n")
    );
}

#[test]
fn simulate_text_keeps_its_columns_with_long_names() {
    let (_d, p) = project();
    let out = run(&[
        "simulate",
        &p,
        "--simulation",
        "with_call",
        "--threads",
        "1",
    ]);
    let steps = table(&out, "per step");
    assert_eq!(steps.len(), 4);
    aligned(&steps, 1, false); // channel
    aligned(&steps, 2, true); // reached
    aligned(&steps, 3, false); // outcomes
    let stages = table(&out, "per stage");
    assert_eq!(stages.len(), 3);
    aligned(&stages, 1, true); // entries
    aligned(&stages, 2, true); // dwell
    let ended = table(&out, "cadence ended");
    aligned(&ended, 1, true);
    aligned(&ended, 2, true);
    insta::assert_snapshot!(out);
}

#[test]
fn compare_text_lists_the_differing_steps_in_columns() {
    let (_d, p) = project();
    let out = run(&[
        "compare",
        "baseline",
        "with_call",
        "--path",
        &p,
        "--threads",
        "1",
    ]);
    let rows = table(&out, "per step where the versions differ");
    // the header, the call only the candidate makes, and the email after it
    assert_eq!(rows.len(), 3, "{out}");
    for c in [0, 1, 2] {
        aligned(&rows, c, false);
    }
    aligned(&rows, 3, true);
    aligned(&rows, 4, true);
    assert!(out.contains(
        "identical on both versions: welcome, second_follow_up_email_after_the_webinar_recording\n"
    ));
    insta::assert_snapshot!(out);
}

#[test]
fn exact_text_keeps_its_columns_with_long_names() {
    let (_d, p) = project();
    let out = run(&["simulate", &p, "--simulation", "with_call", "--exact"]);
    let steps = table(&out, "per step");
    assert_eq!(steps.len(), 4);
    aligned(&steps, 1, false);
    aligned(&steps, 2, true);
    insta::assert_snapshot!(out);
}

#[test]
fn a_run_off_a_terminal_prints_no_progress() {
    let (_d, p) = project();
    for args in [
        vec!["simulate", p.as_str(), "--simulation", "with_call"],
        vec!["compare", "baseline", "with_call", "--path", p.as_str()],
    ] {
        let (code, _, err) = cli(&args);
        assert_eq!(code, 0);
        assert_eq!(err, "", "{args:?}");
    }
}

/// On a terminal (a pseudo-terminal from util-linux's `script`), the human format shows the
/// progress line with its rounded rate and ETA; a machine format does not.
#[test]
fn a_run_on_a_terminal_shows_progress_only_for_people() {
    let bin = env!("CARGO_BIN_EXE_cadence");
    let on_tty = |args: &str| {
        let out = std::process::Command::new("script")
            .args(["-qec", &format!("{bin} {args}"), "/dev/null"])
            .env_remove("CADENCE_FORMAT")
            .output()
            .expect("`script` (util-linux) runs the command on a pseudo-terminal");
        assert!(out.status.success(), "{args}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let w = "tests/sim/whatif";
    for cmd in [
        format!("compare base_sim call_sim --path {w} --count 50000"),
        format!("simulate {w} --simulation call_sim --count 50000"),
    ] {
        let human = on_tty(&cmd);
        assert!(
            human.contains(" leads/s") && human.contains("ETA"),
            "{cmd}: {human}"
        );
        for format in ["json", "markdown"] {
            let machine = on_tty(&format!("{cmd} --format {format}"));
            assert!(!machine.contains("leads/s"), "{cmd} --format {format}");
        }
    }
}
