//! The HTML report in a real browser: headless Chromium (Debian's `chromium`, installed by
//! `.ci/run`) renders the shipped B2B pipeline simulation's report and a comparison to PNG and
//! PDF; the page logs no console error, every figure in the DOM equals the JSON report's value at
//! its path, and the screenshot is not blank.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(dir: &Path, args: &[&str], page: &Path) -> (String, String) {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install it with \
         `apt-get update && apt-get install -y --no-install-recommends chromium` (.ci/run does)"
    );
    let profile = tempfile::tempdir_in(dir).unwrap();
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=1",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The page's console messages, as Chromium logs them (`INFO:CONSOLE:1] "boom", source: ...`,
/// whatever the level): the report has no script, so any message is a failure, such as a
/// resource that did not load.
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

/// Every `data-json="PATH" data-value="VALUE"` of the DOM.
fn figures(dom: &str) -> Vec<(String, Value)> {
    let unesc = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let mut out = Vec::new();
    let mut rest = dom;
    while let Some(i) = rest.find("data-json=\"") {
        rest = &rest[i + 11..];
        let j = rest.find('"').unwrap();
        let path = unesc(&rest[..j]);
        rest = &rest[j..];
        let k = rest.find("data-value=\"").unwrap() + 12;
        rest = &rest[k..];
        let e = rest.find('"').unwrap();
        out.push((path, serde_json::from_str(&unesc(&rest[..e])).unwrap()));
        rest = &rest[e..];
    }
    out
}

/// Rendered, checked, and the screenshot's pixels: (the figures checked, distinct colours).
fn render_and_check(
    dir: &Path,
    html: &Path,
    json: &Value,
    png: &Path,
) -> (Vec<(String, Value)>, usize) {
    let (dom, err) = chromium(dir, &["--dump-dom"], html);
    assert!(console_errors(&err).is_empty(), "{err}");
    let figs = figures(&dom);
    for (path, v) in &figs {
        let want = json
            .pointer(&format!("/{path}"))
            .unwrap_or_else(|| panic!("no {path} in the JSON"));
        assert_eq!(v, want, "{path}");
    }
    let (_, err) = chromium(
        dir,
        &[
            "--window-size=1280,2000",
            &format!("--screenshot={}", png.display()),
        ],
        html,
    );
    assert!(console_errors(&err).is_empty(), "{err}");
    let pdf = png.with_extension("pdf");
    chromium(
        dir,
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
        ],
        html,
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(
        bytes.starts_with(b"%PDF-") && bytes.len() > 10_000,
        "{} bytes",
        bytes.len()
    );
    // not blank: many colours, and a good part of the page not white
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = info.color_type.samples();
    let mut colours = std::collections::BTreeSet::new();
    let mut inked = 0usize;
    for p in buf[..info.buffer_size()].chunks(px) {
        colours.insert(p[..3].to_vec());
        inked += usize::from(p[..3].iter().any(|c| *c < 200));
    }
    assert!(
        inked * 100 > (info.width * info.height) as usize,
        "{inked} inked pixels"
    );
    (figs, colours.len())
}

#[test]
fn the_console_check_sees_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<html><body><script>console.error('boom')</script></body></html>",
    )
    .unwrap();
    let (_, err) = chromium(dir.path(), &["--dump-dom"], &page);
    assert_eq!(console_errors(&err).len(), 1, "{err}");
}

#[test]
fn b2b_simulation_report_renders_with_the_json_figures() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("b2b.html");
    let (code, out, err) = common::cli(&[
        "simulate",
        "cadences",
        "--simulation",
        "needs_stage_2026h2",
        "--count",
        "3000",
        "--format",
        "json",
        "--report",
        html.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    let page = std::fs::read_to_string(&html).unwrap();
    // self-contained: no script, no external resource
    for bad in ["<script", "http://", "https://", "src=", "<link"] {
        assert!(!page.contains(bad), "{bad}");
    }
    let png = dir.path().join("b2b.png");
    let (figs, colours) = render_and_check(dir.path(), &html, &json, &png);
    assert!(figs.len() > 100, "{} figures", figs.len());
    assert!(colours > 20, "{colours} colours");
    // the headline as a manager reads it, formatted here from the JSON
    let rate = json["runs"][0]["conversion"]["rate"].as_f64().unwrap();
    assert!(page.contains(&format!(">{:.2}%</span> convert", 100.0 * rate)));
    if std::env::var_os("CADENCE_SCREENSHOT").is_some() {
        std::fs::copy(&png, "docs/report.png").unwrap();
    }
}

#[test]
fn compare_report_renders_with_the_json_figures() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("cmp.html");
    let (code, out, err) = common::cli(&[
        "compare",
        "needs_stage_2026h2",
        "needs_stage_2026h2",
        "--path",
        "cadences",
        "--count",
        "2000",
        "--format",
        "json",
        "--report",
        html.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    let (figs, _) = render_and_check(dir.path(), &html, &json, &dir.path().join("cmp.png"));
    assert!(figs.len() > 15, "{} figures", figs.len());
    // a version against itself: no step differs, and the page says so
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Every step's funnel is identical on both versions"));
    assert!(!figs.iter().any(|(p, _)| p.starts_with("steps/")));
}

/// The what-if of a call: the steps whose funnel differs are on the page with both versions'
/// figures (the generic check makes each equal the JSON's), the identical ones are named.
#[test]
fn compare_report_shows_the_differing_steps_of_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("whatif.html");
    let (code, out, err) = common::cli(&[
        "compare",
        "base_sim",
        "call_sim",
        "--path",
        "tests/sim/whatif",
        "--count",
        "3000",
        "--format",
        "json",
        "--report",
        html.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    let png = dir.path().join("whatif.png");
    let (figs, _) = render_and_check(dir.path(), &html, &json, &png);
    let shown: std::collections::BTreeSet<&str> = figs.iter().map(|(p, _)| p.as_str()).collect();
    let steps = json["steps"].as_array().unwrap();
    let mut identical = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        for side in ["base", "candidate"] {
            let st = &s[side];
            let mut want = Vec::new();
            if !st.is_null() {
                want.push(format!("steps/{i}/{side}/reached"));
                for (k, v) in st["outcomes"].as_object().unwrap() {
                    if v.as_u64().unwrap() > 0 {
                        want.push(format!("steps/{i}/{side}/outcomes/{k}"));
                    }
                }
            }
            for w in want {
                let differs = s["identical"] == false;
                assert_eq!(shown.contains(w.as_str()), differs, "{w}");
            }
        }
        if s["identical"] == true {
            identical.push(format!("<b>{}</b>", s["step"].as_str().unwrap()));
        }
    }
    assert_eq!(identical, ["<b>e1</b>", "<b>e2</b>"]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains(&format!(
            "Identical on both versions: {}.",
            identical.join(", ")
        )),
        "the identical steps are named"
    );
    // the call only the candidate makes, on the base's side
    assert!(page.contains("not in this version"));
}
