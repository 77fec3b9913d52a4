//! The progress line of `simulate` and `compare`: on stderr, only on a terminal and with the
//! human format (machine formats and pipes get none), with the rate rounded and an ETA.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

/// A progress bar over `len` leads named `msg`, or none: off a terminal, or when `human` is
/// false (json, markdown: the output is for a machine).
pub(crate) fn bar(human: bool, len: u64, msg: &str) -> Option<ProgressBar> {
    (human && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new(len);
        b.set_style(style());
        b.set_message(msg.to_string());
        b
    })
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} leads ({rate}, {eta})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&rate_text(s.per_sec()));
        })
        .with_key("eta", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let left = s.len().unwrap_or(0).saturating_sub(s.pos());
            let _ = w.write_str(&eta_text(left as f64 / s.per_sec()));
        })
}

/// Leads per second, to two significant figures from 1,000 on: `850 leads/s`, `4.7 k leads/s`,
/// `467 k leads/s`, `2.7 M leads/s`.
pub(crate) fn rate_text(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec < 0.0 {
        return "– leads/s".into();
    }
    let units = ["", " k", " M", " G"];
    let mut v = per_sec;
    let mut u = 0;
    loop {
        let text = if u > 0 && v < 9.95 {
            format!("{v:.1}")
        } else {
            format!("{v:.0}")
        };
        // rounding can carry into the next unit: 999.6 is 1.0 k
        if text.parse::<f64>().unwrap_or(0.0) >= 1000.0 && u + 1 < units.len() {
            v /= 1000.0;
            u += 1;
            continue;
        }
        return format!("{text}{} leads/s", units[u]);
    }
}

/// The time left, in whole seconds: `ETA 4s`, `ETA 1m 05s`, `ETA 2h 03m`; `ETA –` before a
/// rate is known.
pub(crate) fn eta_text(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "ETA –".into();
    }
    let s = seconds.ceil() as u64;
    match s {
        0..=59 => format!("ETA {s}s"),
        60..=3599 => format!("ETA {}m {:02}s", s / 60, s % 60),
        _ => format!("ETA {}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::{eta_text, rate_text};

    #[test]
    fn the_rate_is_rounded_to_two_figures_with_its_unit() {
        assert_eq!(rate_text(2_712_345.0), "2.7 M leads/s");
        assert_eq!(rate_text(466_972.108_3), "467 k leads/s");
        assert_eq!(rate_text(46_697.2), "47 k leads/s");
        assert_eq!(rate_text(4_669.7), "4.7 k leads/s");
        assert_eq!(rate_text(850.4), "850 leads/s");
        assert_eq!(rate_text(12.0), "12 leads/s");
        assert_eq!(rate_text(0.0), "0 leads/s");
        // a rounding that reaches the next unit takes it
        assert_eq!(rate_text(999.6), "1.0 k leads/s");
        assert_eq!(rate_text(9_960.0), "10 k leads/s");
        assert_eq!(rate_text(999_700.0), "1.0 M leads/s");
        assert_eq!(rate_text(3.2e12), "3200 G leads/s");
        assert_eq!(rate_text(f64::NAN), "– leads/s");
        assert_eq!(rate_text(f64::INFINITY), "– leads/s");
    }

    #[test]
    fn the_eta_is_whole_seconds_minutes_or_hours() {
        assert_eq!(eta_text(0.0), "ETA 0s");
        assert_eq!(eta_text(3.2), "ETA 4s");
        assert_eq!(eta_text(59.0), "ETA 59s");
        assert_eq!(eta_text(65.0), "ETA 1m 05s");
        assert_eq!(eta_text(3599.0), "ETA 59m 59s");
        assert_eq!(eta_text(7380.0), "ETA 2h 03m");
        // no rate yet: 100 leads left at 0 leads/s
        assert_eq!(eta_text(100.0 / 0.0), "ETA –");
        assert_eq!(eta_text(f64::NAN), "ETA –");
    }
}
