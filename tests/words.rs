//! `cadence::words`, the one printer of model conditions and durations, against the language:
//! a generated condition, checked, printed and checked again, is the same model condition (so
//! the words say what the model means, with the parentheses precedence needs), and a printed
//! duration reads back as the same number of minutes.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use cadence::model::{Cond, Model};
use common::model_of;
use proptest::prelude::*;

const PIPELINE: &str = r#"
pipeline p {
  facts {
    amount: money = field "Amount"
    ok: bool = field "Ok"
    score: score = field "Score"
    wait: duration = field "Wait"
    source: text = field "Source"
    n: number = field "N"
  }
  events met, signed
  stage a { exit to b when WHEN }
  stage b { outcome won }
}
"#;

fn when_of(text: &str) -> (Model, Cond) {
    let m = model_of(&PIPELINE.replace("WHEN", text));
    let c = m.pipelines[0].stages[0].exits[0].when.clone();
    (m, c)
}

/// A condition of the language, as an author might write it.
fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("met".to_string()),
        Just("signed".to_string()),
        Just("ok".to_string()),
        (0u32..5_000_000).prop_map(|a| format!("amount >= {a} CNY")),
        (0u32..100).prop_map(|s| format!("score > {s}%")),
        (1u32..400).prop_map(|d| format!("dwell > {d}d")),
        (1u32..72).prop_map(|h| format!("idle >= {h}h")),
        (1u32..300).prop_map(|m| format!("age < {m}min")),
        (1u32..40).prop_map(|t| format!("touches <= {t}")),
        (0u32..50).prop_map(|n| format!("n != {n}")),
        Just("source == \"web\"".to_string()),
        Just("dwell > wait".to_string()),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    atom().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) or ({b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn a_printed_condition_reads_back_as_itself(text in condition()) {
        let (m, c) = when_of(&text);
        let printed = cadence::words::cond(&c, Some(&m.pipelines[0]));
        let (_, again) = when_of(&printed);
        prop_assert_eq!(&again, &c, "{} printed as {}", text, printed);
    }

    #[test]
    fn a_printed_duration_reads_back_as_its_minutes(m in 1u64..10_000_000) {
        let printed = cadence::words::minutes(m as f64);
        let (_, c) = when_of(&format!("dwell > {printed}"));
        let (_, direct) = when_of(&format!("dwell > {m}min"));
        prop_assert_eq!(c, direct, "{} minutes printed as {}", m, printed);
    }
}

#[test]
fn precedence_takes_the_fewest_parentheses() {
    let (m, c) = when_of("(met or signed) and not (ok and met) or touches > 3");
    assert_eq!(
        cadence::words::cond(&c, Some(&m.pipelines[0])),
        "(met or signed) and not (ok and met) or touches > 3"
    );
    assert_eq!(cadence::words::length_text(23_190), "16d 2h 30min");
    assert_eq!(cadence::words::rounded(12_774.0), "8.9d");
}
