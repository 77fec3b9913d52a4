//! What one touch does: its outcomes and when each happens. Every stated rate is a share of
//! touches (sends, dials, meeting invitations) for a lead whose multiplier is 1; the functions
//! here make the engine produce exactly those shares (docs/simulation.md, "Outcomes").
//!
//! Outcome indices follow `Channel::outcomes()`.

use crate::model::{Channel, Dist};

use super::program::Rates;
use super::random::{LeadRng, Purpose};

/// An outcome and how long after the touch it happens (minutes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Happening {
    pub after: f64,
    pub outcome: usize,
}

/// The delays a population gives to what happens after a touch.
pub struct Delays<'a> {
    pub reply: Option<&'a Dist>,
    pub open: Option<&'a Dist>,
    pub meeting: Option<&'a Dist>,
}

/// Which outcomes a touch has (bit i: outcome i), what the report counts. One byte rather than
/// `[bool; 6]`: the draw writes it bit by bit and the tally reads it whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Has(pub u8);

impl Has {
    #[inline]
    pub fn get(self, i: usize) -> bool {
        self.0 >> i & 1 != 0
    }

    #[inline]
    pub fn set(&mut self, i: usize) {
        self.0 |= 1 << i;
    }

    /// Bit i set where `v` is true.
    pub fn from_flags(v: [bool; 6]) -> Has {
        Has(v.iter().rev().fold(0, |a, b| a << 1 | u8::from(*b)))
    }
}

/// At most this many opens of one email are drawn (the first and up to 19 more).
const MAX_OPENS: u64 = 20;

/// What one touch's draws compare against: the thresholds of its outcome draw and the chances
/// of the draws that follow, computed from the stated rates and the lead's multipliers. A plan
/// depends on nothing else, so a program computes it once per (segment, step, variant) for
/// leads whose multiplier is 1 and the engine only for the others; [`sample`] makes the draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plan {
    /// outcome draw: bounced below `b`, unsubscribed below `bs`, replied below `bsr`; then the
    /// chances of delivery (of what neither bounced, unsubscribed nor replied), of an open (of
    /// the other deliveries), of a click (of the opens), and of each further open
    Email {
        b: f64,
        bs: f64,
        bsr: f64,
        deliver: f64,
        open: f64,
        click: f64,
        again: f64,
    },
    /// SMS and WhatsApp: failed below `f`, opted out below `fx`, replied below `fxr`
    Text {
        f: f64,
        fx: f64,
        fxr: f64,
        deliver: f64,
    },
    /// bad number below `bad`, connected below `bc`, voicemail below `bcv`, else no answer
    Call { bad: f64, bc: f64, bcv: f64 },
    /// replied below `r`, accepted below `ra`
    Linkedin { r: f64, ra: f64 },
    /// booked below `bk`; of the booked, the result draw: cancelled below `c`, no-show below
    /// `cns`, held below `cnsh`
    Meeting {
        bk: f64,
        c: f64,
        cns: f64,
        cnsh: f64,
    },
    /// skipped below `s`, completed below `sc`, else completed (unstated)
    Task { s: f64, sc: f64 },
}

/// A draw with chance `p`: a sure or impossible event is 1 or 0 (and then costs no draw), so
/// a chance that a condition rules out is written as 0.
fn or_zero(ok: bool, p: f64) -> f64 {
    if ok {
        p
    } else {
        0.0
    }
}

/// The plan of a touch on channel `ch` with `rates` (indexed like `Channel::outcomes()`) and
/// `mult[i]`, the lead's multiplier on engaging outcome i (responsiveness × its calibration
/// gain × fatigue).
pub fn plan(ch: Channel, rates: &Rates, mult: &Rates) -> Plan {
    match ch {
        Channel::Email => {
            // delivered opened clicked replied bounced unsubscribed
            let (d, b, s) = (rates[0], rates[4], rates[5]);
            let r = (rates[3] * mult[3])
                .min((d - s).max(0.0))
                .min((1.0 - b - s).max(0.0));
            let o = (rates[1] * mult[1]).max(r).min(d);
            let c = (rates[2] * mult[2]).min(o);
            // unsubscribes and replies were delivered; the rest is delivered so that the total
            // is d; a reply is an open, the other deliveries open so that the total is o
            let rest = 1.0 - b - s - r;
            Plan::Email {
                b,
                bs: b + s,
                bsr: b + s + r,
                deliver: or_zero(rest > 0.0, (d - s - r) / rest),
                open: or_zero(d - r > 0.0, (o - r) / (d - r)),
                click: or_zero(o > 0.0, c / o),
                again: if d > 0.0 { (o / d).min(0.9) } else { 0.0 },
            }
        }
        Channel::Sms | Channel::Whatsapp => {
            // delivered replied failed opted_out
            let (d, f, x) = (rates[0], rates[2], rates[3]);
            let r = (rates[1] * mult[1])
                .min((d - x).max(0.0))
                .min((1.0 - f - x).max(0.0));
            let rest = 1.0 - f - x - r;
            Plan::Text {
                f,
                fx: f + x,
                fxr: f + x + r,
                deliver: or_zero(rest > 0.0, (d - x - r) / rest),
            }
        }
        Channel::Call => {
            // connected voicemail no_answer bad_number: exclusive, no_answer the remainder
            let (bad, conn, vm) = (rates[3], rates[0] * mult[0], rates[1]);
            Plan::Call {
                bad,
                bc: bad + conn,
                bcv: bad + conn + vm,
            }
        }
        Channel::Linkedin => {
            // accepted replied: a reply (later) or an acceptance (now), or nothing
            let r = (rates[1] * mult[1]).min(1.0);
            let a = (rates[0] * mult[0]).min(1.0 - r);
            Plan::Linkedin { r, ra: r + a }
        }
        Channel::Meeting => {
            // booked held no_show cancelled: the touch books the meeting (not scaled: the lead
            // was asked for it); the lead's multiplier moves shares between held and no-show
            // only, so held + no_show keeps its total
            let (bk, h, ns, c) = (rates[0], rates[1], rates[2], rates[3]);
            let held = (h * mult[1]).min(h + ns) / bk;
            let (c, ns) = (c / bk, (h + ns) / bk - held);
            Plan::Meeting {
                bk,
                c,
                cns: c + ns,
                cnsh: c + ns + held,
            }
        }
        // completed skipped: skipped, else completed when stated, else completed
        Channel::Task => Plan::Task {
            s: rates[1],
            sc: rates[1] + rates[0],
        },
    }
}

/// What keys a touch's draws: the step's site, the repeat key (the step's n-th touch) and the
/// `draw_key` of the outcome draw of visit 0 (every lead reaching the step makes it).
#[derive(Debug, Clone, Copy)]
pub struct DrawKeys {
    pub site: u64,
    pub visit: u64,
    pub first_key: u64,
}

impl DrawKeys {
    /// The key of the touch's outcome draw (the one every touch makes first).
    #[inline]
    pub fn outcome_key(self) -> u64 {
        if self.visit == 0 {
            self.first_key
        } else {
            super::random::draw_key(self.site, Purpose::Outcome, self.visit)
        }
    }
}

impl Plan {
    /// The interval of outcome draws, around `u`, over which [`sample`] makes no other draw
    /// and so returns one and the same result; `None` where a draw with `u` makes another draw
    /// (a delivery or open chance, a reply or meeting delay, a meeting's result).
    pub fn fixed_interval(&self, u: f64) -> Option<(f64, f64)> {
        // a chance that is sure or impossible costs no draw
        let sure = |p: f64| p >= 1.0 || p <= 0.0;
        let within = |cuts: &[f64]| {
            let mut lo = 0.0;
            for &c in cuts {
                if u < c {
                    return (lo, c);
                }
                lo = c;
            }
            (lo, f64::INFINITY)
        };
        match *self {
            Plan::Email {
                b,
                bs,
                bsr,
                deliver,
                open,
                ..
            } => {
                // delivered and then opened would draw the open's delay
                let unopened = open <= 0.0;
                let ok = if u < b {
                    true
                } else if u < bs {
                    unopened
                } else if u < bsr {
                    false
                } else {
                    sure(deliver) && (deliver <= 0.0 || unopened)
                };
                ok.then(|| within(&[b, bs, bsr]))
            }
            Plan::Text {
                f,
                fx,
                fxr,
                deliver,
            } => {
                let ok = u < fx || (u >= fxr && sure(deliver));
                ok.then(|| within(&[f, fx, fxr]))
            }
            Plan::Call { bad, bc, bcv } => Some(within(&[bad, bc, bcv])),
            Plan::Linkedin { r, ra } => (u >= r).then(|| within(&[r, ra])),
            Plan::Meeting { bk, .. } => (u >= bk).then(|| within(&[bk])),
            Plan::Task { s, sc } => Some(within(&[s, sc])),
        }
    }
}

/// Draw one touch planned by `plan`. Returns which outcomes the touch has (what the report
/// counts) and pushes every happening, in time order, into `out`.
pub fn sample(
    plan: &Plan,
    delays: &Delays<'_>,
    rng: &LeadRng,
    keys: DrawKeys,
    out: &mut Vec<Happening>,
) -> Has {
    let DrawKeys { site, visit, .. } = keys;
    out.clear();
    let mut has = Has::default();
    let u = rng.uniform_at(keys.outcome_key());
    let delay = |d: Option<&Dist>, purpose: Purpose, repeat: u64| {
        d.map(|d| {
            rng.sample(d, site ^ visit ^ (repeat << 40), purpose)
                .max(0.0)
        })
        .unwrap_or(0.0)
    };
    // a sure or impossible event costs no draw
    let chance =
        |p: f64, purpose: Purpose| p >= 1.0 || (p > 0.0 && rng.uniform(site, purpose, visit) < p);
    let now = |o: usize| Happening {
        after: 0.0,
        outcome: o,
    };
    match *plan {
        Plan::Email {
            b,
            bs,
            bsr,
            deliver,
            open,
            click,
            again,
        } => {
            // delivered opened clicked replied bounced unsubscribed
            if u < b {
                has.set(4);
            } else if u < bs {
                has.set(5);
            } else if u < bsr {
                has.set(3);
            }
            if has.get(3) || has.get(5) || (!has.get(4) && chance(deliver, Purpose::Delivered)) {
                has.set(0);
            }
            if has.get(3) || (has.get(0) && chance(open, Purpose::Opened)) {
                has.set(1);
            }
            if has.get(1) && chance(click, Purpose::Clicked) {
                has.set(2);
            }
            for i in [0, 4, 5] {
                if has.get(i) {
                    out.push(now(i));
                }
            }
            let reply_at = has
                .get(3)
                .then(|| delay(delays.reply, Purpose::ReplyDelay, 0));
            if has.get(1) {
                // the first open (no later than the reply), then further opens, each with the
                // chance a delivered email has of being opened, each after another open delay
                let mut at = delay(delays.open, Purpose::OpenDelay, 0);
                if let Some(ra) = reply_at {
                    at = at.min(ra);
                }
                out.push(Happening {
                    after: at,
                    outcome: 1,
                });
                if has.get(2) {
                    out.push(Happening {
                        after: at,
                        outcome: 2,
                    });
                }
                for k in 1..MAX_OPENS {
                    if rng.uniform(site, Purpose::Repeat, visit * 32 + k - 1) >= again {
                        break;
                    }
                    at += delay(delays.open, Purpose::OpenDelay, k);
                    out.push(Happening {
                        after: at,
                        outcome: 1,
                    });
                }
            }
            if let Some(ra) = reply_at {
                out.push(Happening {
                    after: ra,
                    outcome: 3,
                });
            }
        }
        Plan::Text {
            f,
            fx,
            fxr,
            deliver,
        } => {
            // delivered replied failed opted_out
            if u < f {
                has.set(2);
            } else if u < fx {
                has.set(3);
            } else if u < fxr {
                has.set(1);
            }
            if has.get(1) || has.get(3) || (!has.get(2) && chance(deliver, Purpose::Delivered)) {
                has.set(0);
            }
            for i in [0, 2, 3] {
                if has.get(i) {
                    out.push(now(i));
                }
            }
            if has.get(1) {
                out.push(Happening {
                    after: delay(delays.reply, Purpose::ReplyDelay, 0),
                    outcome: 1,
                });
            }
        }
        Plan::Call { bad, bc, bcv } => {
            let i = if u < bad {
                3
            } else if u < bc {
                0
            } else if u < bcv {
                1
            } else {
                2
            };
            has.set(i);
            out.push(now(i));
        }
        Plan::Linkedin { r, ra } => {
            if u < r {
                has.set(1);
                out.push(Happening {
                    after: delay(delays.reply, Purpose::ReplyDelay, 0),
                    outcome: 1,
                });
            } else if u < ra {
                has.set(0);
                out.push(now(0));
            }
        }
        Plan::Meeting { bk, c, cns, cnsh } => {
            // the meeting takes place later than its booking
            if u < bk {
                has.set(0);
                out.push(now(0));
                let v = rng.uniform(site, Purpose::MeetingResult, visit);
                let result = if v < c {
                    Some(3)
                } else if v < cns {
                    Some(2)
                } else if v < cnsh {
                    Some(1)
                } else {
                    None
                };
                if let Some(i) = result {
                    has.set(i);
                    out.push(Happening {
                        after: delay(delays.meeting, Purpose::MeetingDelay, 0),
                        outcome: i,
                    });
                }
            }
        }
        Plan::Task { s, sc } => {
            let i = if u < s {
                1
            } else if u < sc {
                0
            } else {
                usize::MAX
            };
            if i < 6 {
                has.set(i);
                out.push(now(i));
            }
        }
    }
    // stable: same-instant happenings keep the order above
    if !out.is_sorted_by(|a, b| a.after <= b.after) {
        out.sort_by(|a, b| a.after.total_cmp(&b.after));
    }
    has
}

/// Outcomes the lead brings about by reading: opens, clicks, replies, a LinkedIn acceptance.
/// With the lead model's `timezone` they wait for the lead's waking hours.
pub fn read_by_lead(ch: Channel, outcome: usize) -> bool {
    match ch {
        Channel::Email => matches!(outcome, 1..=3),
        Channel::Sms | Channel::Whatsapp => outcome == 1,
        Channel::Linkedin => true,
        Channel::Call | Channel::Meeting | Channel::Task => false,
    }
}

/// A lead's waking hours: from 08:00 to 21:00 local.
pub const OPEN_HOUR: u32 = 8;
pub const CLOSE_HOUR: u32 = 21;

/// The first instant at or after `t` inside waking hours (08:00–21:00) in `tz`: leads open and
/// reply only then.
pub fn waking(t: f64, tz: chrono_tz::Tz) -> f64 {
    use chrono::{Duration, TimeZone, Timelike};
    const OPEN: u32 = OPEN_HOUR * 60;
    const CLOSE: u32 = CLOSE_HOUR * 60;
    let secs = (t * 60.0).floor() as i64;
    let Some(utc) = chrono::DateTime::from_timestamp(secs, 0) else {
        return t;
    };
    let local = utc.with_timezone(&tz);
    let minute = local.hour() * 60 + local.minute();
    if (OPEN..CLOSE).contains(&minute) {
        return t;
    }
    let day = if minute >= CLOSE {
        local.date_naive() + Duration::days(1)
    } else {
        local.date_naive()
    };
    let Some(morning) = day.and_hms_opt(OPEN_HOUR, 0, 0) else {
        return t;
    };
    match tz.from_local_datetime(&morning).earliest() {
        Some(m) => (m.timestamp() as f64 / 60.0).max(t),
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Dist};

    /// `Plan::fixed_interval`'s promise, checked on generated plans: every outcome draw in the
    /// interval gives one and the same result, whatever the lead's other draws.
    #[test]
    fn a_fixed_interval_fixes_the_result() {
        let mut z: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            z ^= z << 13;
            z ^= z >> 7;
            z ^= z << 17;
            // rates of 0 and 1 are where draws are skipped: give them weight
            match z % 8 {
                0 => 0.0,
                1 => 1.0,
                k => (z >> 11) as f64 / (1u64 << 53) as f64 * if k < 5 { 0.2 } else { 1.0 },
            }
        };
        let reply = Dist::Const {
            value: crate::model::Value::Minutes(60.0),
        };
        let open = Dist::Exponential { mean: 90.0 };
        let delays = Delays {
            reply: Some(&reply),
            open: Some(&open),
            meeting: Some(&open),
        };
        let channels = [
            Channel::Email,
            Channel::Sms,
            Channel::Call,
            Channel::Linkedin,
            Channel::Meeting,
            Channel::Task,
        ];
        let (mut fixed, mut groups_checked) = (0u64, 0u64);
        for case in 0..600u64 {
            let ch = channels[(case % 6) as usize];
            let rates: Rates = std::array::from_fn(|_| next());
            let mult: Rates = std::array::from_fn(|_| 0.5 + next());
            let plan = plan(ch, &rates, &mult);
            let keys = DrawKeys {
                site: case,
                visit: case % 3,
                first_key: crate::simulate::random::draw_key(case, Purpose::Outcome, 0),
            };
            let mut groups: Vec<((u64, u64), Has, Vec<Happening>)> = Vec::new();
            let mut out = Vec::new();
            for lead in 0..400 {
                let rng = LeadRng::new(case, lead);
                let u = rng.uniform_at(keys.outcome_key());
                let has = sample(&plan, &delays, &rng, keys, &mut out);
                let Some((lo, hi)) = plan.fixed_interval(u) else {
                    continue;
                };
                fixed += 1;
                assert!(lo <= u && u < hi, "{plan:?}: {u} outside [{lo}, {hi})");
                let key = (lo.to_bits(), hi.to_bits());
                match groups.iter().find(|g| g.0 == key) {
                    Some(g) => {
                        assert!(
                            g.1 == has && g.2 == out,
                            "{plan:?}: two results in [{lo}, {hi})"
                        );
                        groups_checked += 1;
                    }
                    None => groups.push((key, has, out.clone())),
                }
            }
        }
        assert!(
            fixed > 50_000 && groups_checked > 40_000,
            "{fixed} {groups_checked}"
        );
    }
}
