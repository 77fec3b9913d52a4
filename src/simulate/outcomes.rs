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

/// At most this many opens of one email are drawn (the first and up to 19 more).
const MAX_OPENS: u64 = 20;

/// Draw one touch. Returns which outcomes the touch has (what the report counts) and pushes
/// every happening, in time order, into `out`. `mult[i]` is the lead's multiplier on engaging
/// outcome i (responsiveness × its calibration gain × fatigue); `visit` is the repeat key (the
/// step's n-th touch); `first_key` is the `draw_key` of the outcome draw of visit 0.
#[allow(clippy::too_many_arguments)]
pub fn draw(
    ch: Channel,
    rates: &Rates,
    mult: &Rates,
    delays: &Delays<'_>,
    rng: &LeadRng,
    site: u64,
    visit: u64,
    first_key: u64,
    out: &mut Vec<Happening>,
) -> [bool; 6] {
    out.clear();
    let mut has = [false; 6];
    let u = if visit == 0 {
        rng.uniform_at(first_key)
    } else {
        rng.uniform(site, Purpose::Outcome, visit)
    };
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
    match ch {
        Channel::Email => {
            // delivered opened clicked replied bounced unsubscribed
            let (d, b, s) = (rates[0], rates[4], rates[5]);
            let r = (rates[3] * mult[3])
                .min((d - s).max(0.0))
                .min((1.0 - b - s).max(0.0));
            let o = (rates[1] * mult[1]).max(r).min(d);
            let c = (rates[2] * mult[2]).min(o);
            if u < b {
                has[4] = true;
            } else if u < b + s {
                has[5] = true;
            } else if u < b + s + r {
                has[3] = true;
            }
            // unsubscribes and replies were delivered; the rest is delivered so that the total is d
            has[0] = has[3] || has[5] || {
                let rest = 1.0 - b - s - r;
                !has[4] && rest > 0.0 && chance((d - s - r) / rest, Purpose::Delivered)
            };
            // a reply is an open; the other deliveries open so that the total is o
            has[1] =
                has[3] || (has[0] && d - r > 0.0 && chance((o - r) / (d - r), Purpose::Opened));
            has[2] = has[1] && o > 0.0 && chance(c / o, Purpose::Clicked);
            for i in [0, 4, 5] {
                if has[i] {
                    out.push(now(i));
                }
            }
            let reply_at = has[3].then(|| delay(delays.reply, Purpose::ReplyDelay, 0));
            if has[1] {
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
                if has[2] {
                    out.push(Happening {
                        after: at,
                        outcome: 2,
                    });
                }
                let again = if d > 0.0 { (o / d).min(0.9) } else { 0.0 };
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
        Channel::Sms | Channel::Whatsapp => {
            // delivered replied failed opted_out
            let (d, f, x) = (rates[0], rates[2], rates[3]);
            let r = (rates[1] * mult[1])
                .min((d - x).max(0.0))
                .min((1.0 - f - x).max(0.0));
            if u < f {
                has[2] = true;
            } else if u < f + x {
                has[3] = true;
            } else if u < f + x + r {
                has[1] = true;
            }
            has[0] = has[1] || has[3] || {
                let rest = 1.0 - f - x - r;
                !has[2] && rest > 0.0 && chance((d - x - r) / rest, Purpose::Delivered)
            };
            for i in [0, 2, 3] {
                if has[i] {
                    out.push(now(i));
                }
            }
            if has[1] {
                out.push(Happening {
                    after: delay(delays.reply, Purpose::ReplyDelay, 0),
                    outcome: 1,
                });
            }
        }
        Channel::Call => {
            // connected voicemail no_answer bad_number: exclusive, no_answer the remainder
            let (bad, conn, vm) = (rates[3], rates[0] * mult[0], rates[1]);
            let i = if u < bad {
                3
            } else if u < bad + conn {
                0
            } else if u < bad + conn + vm {
                1
            } else {
                2
            };
            has[i] = true;
            out.push(now(i));
        }
        Channel::Linkedin => {
            // accepted replied: a reply (later) or an acceptance (now), or nothing
            let r = (rates[1] * mult[1]).min(1.0);
            let a = (rates[0] * mult[0]).min(1.0 - r);
            if u < r {
                has[1] = true;
                out.push(Happening {
                    after: delay(delays.reply, Purpose::ReplyDelay, 0),
                    outcome: 1,
                });
            } else if u < r + a {
                has[0] = true;
                out.push(now(0));
            }
        }
        Channel::Meeting => {
            // booked held no_show cancelled: the touch books the meeting (not scaled: the lead
            // was asked for it); the meeting takes place later, and the lead's multiplier moves
            // shares between held and no-show only, so held + no_show keeps its total
            let (bk, h, ns, c) = (rates[0], rates[1], rates[2], rates[3]);
            if u < bk {
                has[0] = true;
                out.push(now(0));
                let held = (h * mult[1]).min(h + ns) / bk;
                let (c, ns) = (c / bk, (h + ns) / bk - held);
                let v = rng.uniform(site, Purpose::MeetingResult, visit);
                let result = if v < c {
                    Some(3)
                } else if v < c + ns {
                    Some(2)
                } else if v < c + ns + held {
                    Some(1)
                } else {
                    None
                };
                if let Some(i) = result {
                    has[i] = true;
                    out.push(Happening {
                        after: delay(delays.meeting, Purpose::MeetingDelay, 0),
                        outcome: i,
                    });
                }
            }
        }
        Channel::Task => {
            // completed skipped: skipped, else completed when stated, else completed
            let i = if u < rates[1] {
                1
            } else if u < rates[1] + rates[0] {
                0
            } else {
                usize::MAX
            };
            if i < 6 {
                has[i] = true;
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

/// The first instant at or after `t` inside waking hours (08:00–21:00) in `tz`: leads open and
/// reply only then.
pub fn waking(t: f64, tz: chrono_tz::Tz) -> f64 {
    use chrono::{Duration, TimeZone, Timelike};
    const OPEN: u32 = 8 * 60;
    const CLOSE: u32 = 21 * 60;
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
    let Some(morning) = day.and_hms_opt(8, 0, 0) else {
        return t;
    };
    match tz.from_local_datetime(&morning).earliest() {
        Some(m) => (m.timestamp() as f64 / 60.0).max(t),
        None => t,
    }
}
