//! One touch, exactly: every outcome set it can have (an "atom": which outcomes, how many opens,
//! the meeting's result) with its probability for a lead whose multiplier on engaging rates is
//! known, and when each outcome happens (constant delays). Written from docs/simulation.md,
//! "Outcomes", independently of the sampler in `outcomes.rs`.

use crate::model::Channel;

/// At most this many opens of one email.
pub const MAX_OPENS: u8 = 20;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Atom {
    pub has: [bool; 6],
    /// opens of an opened email (1 when the count does not matter)
    pub opens: u8,
}

fn set(list: &[usize]) -> [bool; 6] {
    let mut a = [false; 6];
    for i in list {
        a[*i] = true;
    }
    a
}

fn clamp01(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

/// The atoms of a touch on `ch` (in a fixed order, zero-probability ones included) and their
/// probabilities, for stated `rates` and the lead's multipliers `m` (responsiveness × gain ×
/// fatigue, per outcome). With `count_opens`, an opened email splits by its number of opens.
pub fn atoms(ch: Channel, rates: &[f64; 6], m: &[f64; 6], count_opens: bool) -> Vec<(Atom, f64)> {
    let one = |list: &[usize], p: f64| {
        (
            Atom {
                has: set(list),
                opens: 0,
            },
            p,
        )
    };
    let mut out = Vec::new();
    match ch {
        Channel::Email => {
            // delivered opened clicked replied bounced unsubscribed
            let (d, b, s) = (rates[0], rates[4], rates[5]);
            let r = (rates[3] * m[3])
                .min((d - s).max(0.0))
                .min((1.0 - b - s).max(0.0));
            let o = (rates[1] * m[1]).max(r).min(d);
            let c = (rates[2] * m[2]).min(o);
            // an email that is not a reply opens with q given delivery; a click with k given an open
            let q = if d - r > 0.0 {
                clamp01((o - r) / (d - r))
            } else {
                0.0
            };
            let k = if o > 0.0 { clamp01(c / o) } else { 0.0 };
            let rest = 1.0 - b - s - r;
            let plain = if rest > 0.0 {
                rest * clamp01((d - s - r) / rest)
            } else {
                0.0
            };
            out.push(one(&[4], b));
            out.push(one(&[], (rest - plain).max(0.0)));
            let again = if d > 0.0 { (o / d).min(0.9) } else { 0.0 };
            let opened = |list: &[usize], p: f64, out: &mut Vec<(Atom, f64)>| {
                if !count_opens {
                    out.push(one(list, p));
                    return;
                }
                // the first open, then each further one with chance `again`, up to 20
                let mut reach = 1.0;
                for n in 1..=MAX_OPENS {
                    let stop = if n == MAX_OPENS { 1.0 } else { 1.0 - again };
                    out.push((
                        Atom {
                            has: set(list),
                            opens: n,
                        },
                        p * reach * stop,
                    ));
                    reach *= again;
                }
            };
            for (base, p) in [(&[0][..], plain), (&[0, 5][..], s)] {
                out.push(one(base, p * (1.0 - q)));
                let with = |x: &[usize]| -> Vec<usize> { base.iter().chain(x).copied().collect() };
                opened(&with(&[1]), p * q * (1.0 - k), &mut out);
                opened(&with(&[1, 2]), p * q * k, &mut out);
            }
            opened(&[0, 1, 3], r * (1.0 - k), &mut out);
            opened(&[0, 1, 2, 3], r * k, &mut out);
        }
        Channel::Sms | Channel::Whatsapp => {
            // delivered replied failed opted_out
            let (d, f, x) = (rates[0], rates[2], rates[3]);
            let r = (rates[1] * m[1])
                .min((d - x).max(0.0))
                .min((1.0 - f - x).max(0.0));
            let rest = 1.0 - f - x - r;
            let plain = if rest > 0.0 {
                rest * clamp01((d - x - r) / rest)
            } else {
                0.0
            };
            out.push(one(&[2], f));
            out.push(one(&[0, 3], x));
            out.push(one(&[0, 1], r));
            out.push(one(&[0], plain));
            out.push(one(&[], (rest - plain).max(0.0)));
        }
        Channel::Call => {
            // connected voicemail no_answer bad_number: connected grows with the lead and
            // voicemail gives way first
            let bad = clamp01(rates[3]);
            let conn = clamp01(bad + rates[0] * m[0]);
            let vm = clamp01(bad + rates[0] * m[0] + rates[1]);
            out.push(one(&[3], bad));
            out.push(one(&[0], conn - bad));
            out.push(one(&[1], vm - conn));
            out.push(one(&[2], 1.0 - vm));
        }
        Channel::Linkedin => {
            let r = (rates[1] * m[1]).min(1.0);
            let a = (rates[0] * m[0]).min(1.0 - r);
            out.push(one(&[1], r));
            out.push(one(&[0], a));
            out.push(one(&[], (1.0 - r - a).max(0.0)));
        }
        Channel::Meeting => {
            // booked (not scaled), then cancelled, no-show, held or nothing
            let (bk, h, ns, c) = (clamp01(rates[0]), rates[1], rates[2], rates[3]);
            out.push(one(&[], 1.0 - bk));
            if bk > 0.0 {
                let held = (h * m[1]).min(h + ns) / bk;
                let cc = c / bk;
                let nsb = (h + ns) / bk - held;
                let (a1, a2, a3) = (clamp01(cc), clamp01(cc + nsb), clamp01(cc + nsb + held));
                out.push(one(&[0, 3], bk * a1));
                out.push(one(&[0, 2], bk * (a2 - a1)));
                out.push(one(&[0, 1], bk * (a3 - a2)));
                out.push(one(&[0], bk * (1.0 - a3)));
            }
        }
        Channel::Task => {
            let sk = clamp01(rates[1]);
            let done = clamp01(rates[1] + rates[0]);
            out.push(one(&[1], sk));
            out.push(one(&[0], done - sk));
            out.push(one(&[], 1.0 - done));
        }
    }
    for (a, _) in out.iter_mut() {
        if a.opens == 0 && a.has[1] && ch == Channel::Email {
            a.opens = 1;
        }
    }
    out
}

/// The constants a capped rate can meet on `ch` (values of `rate × multiplier` where a share
/// stops growing): the responsiveness values there are where the integrand has kinks.
pub fn caps(ch: Channel, r: &[f64; 6]) -> Vec<f64> {
    match ch {
        Channel::Email => vec![r[0] - r[5], 1.0 - r[4] - r[5], r[0], 0.9 * r[0]],
        Channel::Sms | Channel::Whatsapp => vec![r[0] - r[3], 1.0 - r[2] - r[3]],
        Channel::Call => vec![1.0 - r[3], 1.0 - r[3] - r[1]],
        Channel::Linkedin => vec![1.0],
        Channel::Meeting => vec![r[1] + r[2]],
        Channel::Task => Vec::new(),
    }
}

/// The outcomes a lead's responsiveness scales on `ch`.
pub fn scaled(ch: Channel) -> &'static [usize] {
    match ch {
        Channel::Email => &[1, 2, 3],
        Channel::Sms | Channel::Whatsapp => &[1],
        Channel::Call => &[0],
        Channel::Linkedin => &[0, 1],
        Channel::Meeting => &[1],
        Channel::Task => &[],
    }
}

/// Whether an outcome is a reply (it arrives later and raises `reply`).
pub fn is_reply(ch: Channel, o: usize) -> bool {
    matches!(
        (ch, o),
        (Channel::Email, 3) | (Channel::Sms | Channel::Whatsapp | Channel::Linkedin, 1)
    )
}

/// The built-in trigger an outcome raises at the touch (index into `BuiltinTrigger::ALL`).
pub fn trigger(ch: Channel, o: usize) -> Option<usize> {
    match (ch, o) {
        (Channel::Email, 3) | (Channel::Sms | Channel::Whatsapp | Channel::Linkedin, 1) => Some(0),
        (Channel::Email, 4) => Some(1),
        (Channel::Email, 5) | (Channel::Sms | Channel::Whatsapp, 3) => Some(2),
        (Channel::Meeting, 0) => Some(3),
        _ => None,
    }
}

/// Constant delays of a population (minutes).
#[derive(Debug, Clone, Copy, Default)]
pub struct Delays {
    pub reply: f64,
    pub open: f64,
    pub meeting: f64,
}

/// When each outcome of an atom happens, minutes after the touch, in the order the docs give
/// (what the touch brings, then opens and clicks, then the reply; a stable sort by time).
/// `shift` moves what the lead reads into waking hours (None: no lead time zone).
pub fn happenings(
    ch: Channel,
    a: &Atom,
    d: &Delays,
    shift: Option<&dyn Fn(f64) -> f64>,
) -> Vec<(f64, usize)> {
    let mut v: Vec<(f64, usize)> = Vec::new();
    let has = a.has;
    match ch {
        Channel::Email => {
            for i in [0, 4, 5] {
                if has[i] {
                    v.push((0.0, i));
                }
            }
            if has[1] {
                let first = if has[3] { d.open.min(d.reply) } else { d.open };
                v.push((first, 1));
                if has[2] {
                    v.push((first, 2));
                }
                for n in 1..a.opens.max(1) {
                    v.push((first + f64::from(n) * d.open, 1));
                }
            }
            if has[3] {
                v.push((d.reply, 3));
            }
        }
        Channel::Sms | Channel::Whatsapp => {
            for i in [0, 2, 3] {
                if has[i] {
                    v.push((0.0, i));
                }
            }
            if has[1] {
                v.push((d.reply, 1));
            }
        }
        Channel::Linkedin => {
            if has[1] {
                v.push((d.reply, 1));
            } else if has[0] {
                v.push((0.0, 0));
            }
        }
        Channel::Meeting => {
            if has[0] {
                v.push((0.0, 0));
                for (i, h) in has.iter().enumerate().take(4).skip(1) {
                    if *h {
                        v.push((d.meeting, i));
                    }
                }
            }
        }
        Channel::Call | Channel::Task => {
            for (i, h) in has.iter().enumerate() {
                if *h {
                    v.push((0.0, i));
                }
            }
        }
    }
    v.sort_by(|x, y| x.0.total_cmp(&y.0));
    if let Some(f) = shift {
        let read = |o: usize| match ch {
            Channel::Email => (1..=3).contains(&o),
            Channel::Sms | Channel::Whatsapp => o == 1,
            Channel::Linkedin => true,
            _ => false,
        };
        for h in v.iter_mut().filter(|h| read(h.1)) {
            h.0 = f(h.0);
        }
        v.sort_by(|x, y| x.0.total_cmp(&y.0));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoms_of_every_channel_sum_to_one() {
        let email = [0.75, 0.6, 0.3, 0.15, 0.15, 0.05];
        for (ch, r) in [
            (Channel::Email, email),
            (Channel::Sms, [0.6, 0.2, 0.25, 0.05, 0.0, 0.0]),
            (Channel::Call, [0.25, 0.25, 0.0, 0.2, 0.0, 0.0]),
            (Channel::Linkedin, [0.3, 0.1, 0.0, 0.0, 0.0, 0.0]),
            (Channel::Meeting, [0.6, 0.3, 0.15, 0.1, 0.0, 0.0]),
            (Channel::Task, [0.5, 0.3, 0.0, 0.0, 0.0, 0.0]),
        ] {
            for m in [0.0, 0.7, 1.0, 3.0, 50.0] {
                for count in [false, true] {
                    let total: f64 = atoms(ch, &r, &[m; 6], count).iter().map(|a| a.1).sum();
                    assert!((total - 1.0).abs() < 1e-12, "{ch:?} {m} {total}");
                }
            }
        }
        // at multiplier 1 the stated email shares come out exactly
        let a = atoms(Channel::Email, &email, &[1.0; 6], false);
        let share = |i: usize| -> f64 { a.iter().filter(|x| x.0.has[i]).map(|x| x.1).sum() };
        for (i, want) in email.iter().enumerate() {
            assert!((share(i) - want).abs() < 1e-12, "{i} {} {want}", share(i));
        }
    }
}
