//! Activity logs: one row per touch (lead, time, channel, outcome, optional reply time, step,
//! template). Per channel, each outcome's share of touches (Wilson); the reply share and the
//! reply delay together, by maximum likelihood with right censoring (a touch is watched for
//! its reply from the touch to the lead's next touch or the export's date, whichever is
//! first); and the per-contact hazard of the lead's first response, as for contact summaries.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use serde::Serialize;

use super::hazard::{self, Hazard};
use super::input::{BadRow, Table};
use super::survival::{fit_grouped_all, Estimate, GroupedFit, Obs};
use super::{field, Options};
use crate::model::Channel;
use crate::simulate::report::wilson;

#[derive(Debug, Clone)]
pub struct Touch {
    pub lead: String,
    pub at: NaiveDateTime,
    pub channel: Channel,
    /// `None`: sent, nothing recorded
    pub outcome: Option<&'static str>,
    pub replied_at: Option<NaiveDateTime>,
    pub step: Option<String>,
    pub template: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeRate {
    pub outcome: &'static str,
    /// touches that recorded this outcome or one that implies it (a reply was an open)
    pub touches: u64,
    pub rate: Estimate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelRates {
    pub channel: &'static str,
    pub touches: u64,
    /// the outcomes some row records, in the channel's order
    pub outcomes: Vec<OutcomeRate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplyDelay {
    /// the channels that can be replied to, in the order of `fits[..].shares`
    pub channels: Vec<&'static str>,
    /// touches watched for a reply, and the replies seen within their windows
    pub touches: u64,
    pub replies: u64,
    /// touches with no reply seen by the end of their window (censored)
    pub censored: u64,
    /// of these, replies that came after the lead's next touch (censored at it)
    pub replies_after_window: u64,
    /// shared delay, one reply share per channel; best AIC first; empty below three replies
    pub fits: Vec<GroupedFit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetRates {
    /// `step` or `template`
    pub kind: &'static str,
    pub name: String,
    pub rates: ChannelRates,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    pub leads: u64,
    pub touches: u64,
    pub channels: Vec<ChannelRates>,
    /// `None` without a reply-time column or with fewer than three replies
    pub reply: Option<ReplyDelay>,
    /// the lead's first response (a reply or a connected call) at touch k, of the leads with
    /// at least k touches
    pub per_contact: Option<Hazard>,
    pub targets: Vec<TargetRates>,
}

/// The outcomes a recorded outcome implies (docs/simulation.md, "Outcomes").
fn implies(channel: Channel, recorded: &str, outcome: &str) -> bool {
    recorded == outcome
        || match (channel, outcome) {
            (Channel::Email, "delivered") => {
                matches!(recorded, "opened" | "clicked" | "replied" | "unsubscribed")
            }
            (Channel::Email, "opened") => matches!(recorded, "clicked" | "replied"),
            (Channel::Sms | Channel::Whatsapp, "delivered") => {
                matches!(recorded, "replied" | "opted_out")
            }
            (Channel::Meeting, "booked") => matches!(recorded, "held" | "no_show" | "cancelled"),
            _ => false,
        }
}

fn can_reply(channel: Channel) -> bool {
    channel.outcomes().contains(&"replied")
}

fn parse_channel(text: &str) -> Result<Channel, String> {
    let t = text.trim().to_ascii_lowercase();
    if let Some((_, c)) = Channel::ALL.iter().find(|(n, _)| *n == t) {
        return Ok(*c);
    }
    let names: Vec<&str> = Channel::ALL.iter().map(|(n, _)| *n).collect();
    let hint = crate::check::suggest(&t, &names)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    Err(format!(
        "unknown channel `{text}` (channels: {}){hint}",
        names.join(", ")
    ))
}

/// An outcome word of the channel (`no answer` is `no_answer`); empty, `none` or `sent` is no
/// outcome recorded.
fn parse_outcome(channel: Channel, text: &str) -> Result<Option<&'static str>, String> {
    let t = text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    if matches!(
        t.as_str(),
        "" | "none" | "sent" | "no_reply" | "no_response"
    ) {
        return Ok(None);
    }
    if let Some(o) = channel.outcomes().iter().find(|o| **o == t) {
        return Ok(Some(o));
    }
    let hint = crate::check::suggest(&t, channel.outcomes())
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    Err(format!(
        "`{text}` is not an outcome of {} (outcomes: {}, or none){hint}",
        channel.name(),
        channel.outcomes().join(", ")
    ))
}

pub const ROLES: [(&str, bool); 7] = [
    ("lead", true),
    ("time", true),
    ("channel", true),
    ("outcome", true),
    ("replied_at", false),
    ("step", false),
    ("template", false),
];

/// The touches of the export; bad rows go to `bad`. The flag: a reply-time column exists.
pub fn touches(
    table: &Table,
    map: &BTreeMap<String, String>,
    opts: &Options,
    bad: &mut Vec<BadRow>,
) -> Result<(Vec<Touch>, bool), String> {
    let cols = super::input::columns(table, &ROLES, map)?;
    let has_reply_time = cols.contains_key("replied_at");
    let mut out = Vec::new();
    for (line, row) in &table.rows {
        let parsed = (|| {
            let lead = field(row, &cols, "lead").ok_or("no lead id")?;
            let (at, _) = super::input::parse_time(
                field(row, &cols, "time").ok_or("no touch time")?,
                opts.dates,
            )?;
            let channel = parse_channel(field(row, &cols, "channel").ok_or("no channel")?)?;
            let outcome = parse_outcome(channel, field(row, &cols, "outcome").unwrap_or(""))?;
            let replied_at = field(row, &cols, "replied_at")
                .map(|t| super::input::parse_time(t, opts.dates).map(|p| p.0))
                .transpose()?;
            match (outcome, replied_at) {
                (Some("replied"), None) if has_reply_time => {
                    return Err("replied, but no reply time".to_string())
                }
                (Some("replied"), Some(r)) if r < at => {
                    return Err("the reply is before the touch".to_string())
                }
                (o, Some(_)) if o != Some("replied") => {
                    return Err("a reply time on a touch that was not replied".to_string())
                }
                _ => {}
            }
            Ok::<_, String>(Touch {
                lead: lead.to_string(),
                at,
                channel,
                outcome,
                replied_at,
                step: field(row, &cols, "step").map(String::from),
                template: field(row, &cols, "template").map(String::from),
            })
        })();
        match parsed {
            Ok(t) => out.push(t),
            Err(reason) => bad.push(BadRow {
                line: *line,
                reason,
            }),
        }
    }
    Ok((out, has_reply_time))
}

fn rates(channel: Channel, touches: &[&Touch]) -> ChannelRates {
    let n = touches.len() as u64;
    let recorded: BTreeSet<&str> = touches.iter().filter_map(|t| t.outcome).collect();
    let outcomes = channel
        .outcomes()
        .iter()
        .filter(|o| recorded.contains(*o))
        .map(|&o| {
            let k = touches
                .iter()
                .filter(|t| t.outcome.is_some_and(|r| implies(channel, r, o)))
                .count() as u64;
            let (low, high) = wilson(k, n);
            OutcomeRate {
                outcome: o,
                touches: k,
                rate: Estimate {
                    name: "rate",
                    value: k as f64 / n.max(1) as f64,
                    low: Some(low),
                    high: Some(high),
                },
            }
        })
        .collect();
    ChannelRates {
        channel: channel.name(),
        touches: n,
        outcomes,
    }
}

fn per_channel(touches: &[&Touch]) -> Vec<ChannelRates> {
    Channel::ALL
        .iter()
        .filter_map(|&(_, c)| {
            let mine: Vec<&Touch> = touches.iter().copied().filter(|t| t.channel == c).collect();
            (!mine.is_empty()).then(|| rates(c, &mine))
        })
        .collect()
}

const DAY_SECONDS: f64 = 86_400.0;
const MINUTE_DAYS: f64 = 1.0 / 1440.0;

fn days(from: NaiveDateTime, to: NaiveDateTime) -> f64 {
    ((to - from).num_seconds() as f64 / DAY_SECONDS).max(MINUTE_DAYS)
}

/// Below this many touches a step or template is listed without rates.
pub const TARGET_FLOOR: u64 = 30;

pub fn fit(touches: &[Touch], has_reply_time: bool, as_of: NaiveDateTime) -> Activity {
    let mut by_lead: BTreeMap<&str, Vec<&Touch>> = BTreeMap::new();
    for t in touches {
        by_lead.entry(&t.lead).or_default().push(t);
    }
    for v in by_lead.values_mut() {
        v.sort_by_key(|t| t.at);
    }
    let all: Vec<&Touch> = touches.iter().collect();
    // the reply windows: to the lead's next touch or the export's date
    let reply_channels: Vec<&'static str> = Channel::ALL
        .iter()
        .filter(|(_, c)| can_reply(*c) && touches.iter().any(|t| t.channel == *c))
        .map(|(n, _)| *n)
        .collect();
    let mut obs: Vec<(usize, Obs)> = Vec::new();
    let mut late = 0;
    for v in by_lead.values() {
        for (i, t) in v.iter().enumerate() {
            let Some(g) = reply_channels.iter().position(|n| *n == t.channel.name()) else {
                continue;
            };
            let end = v.get(i + 1).map_or(as_of, |n| n.at.min(as_of));
            let seen = t.replied_at.filter(|r| *r <= end);
            if t.replied_at.is_some() && seen.is_none() {
                late += 1;
            }
            obs.push((
                g,
                Obs {
                    days: days(t.at, seen.unwrap_or(end)),
                    event: seen.is_some(),
                },
            ));
        }
    }
    let reply = has_reply_time
        .then(|| {
            let fits = fit_grouped_all(&obs, reply_channels.len());
            let replies = obs.iter().filter(|o| o.1.event).count() as u64;
            (!obs.is_empty()).then(|| ReplyDelay {
                channels: reply_channels.clone(),
                touches: obs.len() as u64,
                replies,
                censored: obs.len() as u64 - replies,
                replies_after_window: late,
                fits,
            })
        })
        .flatten();
    let first_response: Vec<(u32, bool)> = by_lead
        .values()
        .map(|v| {
            match v
                .iter()
                .position(|t| matches!(t.outcome, Some("replied" | "connected")))
            {
                Some(k) => (k as u32 + 1, true),
                None => (v.len() as u32, false),
            }
        })
        .collect();
    let mut targets = Vec::new();
    for (kind, name_of) in [
        (
            "step",
            (|t: &Touch| t.step.clone()) as fn(&Touch) -> Option<String>,
        ),
        ("template", |t: &Touch| t.template.clone()),
    ] {
        let mut groups: BTreeMap<String, Vec<&Touch>> = BTreeMap::new();
        for t in touches {
            if let Some(n) = name_of(t) {
                groups.entry(n).or_default().push(t);
            }
        }
        for (name, v) in groups {
            // a step or template is one channel; the most common one if the export mixes
            let channel = Channel::ALL
                .iter()
                .map(|(_, c)| *c)
                .max_by_key(|c| v.iter().filter(|t| t.channel == *c).count());
            if let Some(c) = channel {
                let mine: Vec<&Touch> = v.into_iter().filter(|t| t.channel == c).collect();
                targets.push(TargetRates {
                    kind,
                    name,
                    rates: rates(c, &mine),
                });
            }
        }
    }
    Activity {
        leads: by_lead.len() as u64,
        touches: touches.len() as u64,
        channels: per_channel(&all),
        reply,
        per_contact: hazard::fit(&first_response),
        targets,
    }
}

impl Activity {
    /// The reply share of a channel: the censored fit's, else the share of touches.
    pub fn reply_share(&self, channel: &str) -> Option<Estimate> {
        if let Some(r) = &self.reply {
            if let (Some(best), Some(g)) = (
                r.fits.first(),
                r.channels.iter().position(|c| *c == channel),
            ) {
                return best.shares.get(g).cloned();
            }
        }
        self.channels
            .iter()
            .find(|c| c.channel == channel)?
            .outcomes
            .iter()
            .find(|o| o.outcome == "replied")
            .map(|o| o.rate.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(lead: &str, day: i64, channel: Channel, outcome: Option<&'static str>) -> Touch {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            + chrono::Duration::days(day);
        Touch {
            lead: lead.into(),
            at,
            channel,
            outcome,
            replied_at: None,
            step: None,
            template: None,
        }
    }

    #[test]
    fn outcomes_count_what_they_imply_and_windows_end_at_the_next_touch() {
        let mut ts = vec![
            touch("a", 0, Channel::Email, Some("opened")),
            touch("a", 3, Channel::Call, Some("no_answer")),
            touch("a", 5, Channel::Email, Some("replied")),
            touch("b", 1, Channel::Email, None),
            touch("b", 2, Channel::Email, Some("replied")),
            touch("c", 4, Channel::Email, Some("replied")),
        ];
        // a's reply a day later; b's second reply after 8 days; c's 2 days later
        ts[2].replied_at = Some(ts[2].at + chrono::Duration::days(1));
        ts[4].replied_at = Some(ts[4].at + chrono::Duration::days(8));
        ts[5].replied_at = Some(ts[5].at + chrono::Duration::days(2));
        let as_of = ts[0].at + chrono::Duration::days(7);
        let a = fit(&ts, true, as_of);
        let email = &a.channels[0];
        assert_eq!((email.channel, email.touches), ("email", 5));
        let by: Vec<(&str, u64)> = email
            .outcomes
            .iter()
            .map(|o| (o.outcome, o.touches))
            .collect();
        // opened: the open and the three replies; replied: three
        assert_eq!(by, [("opened", 4), ("replied", 3)]);
        let r = a.reply.as_ref().unwrap();
        // windows: a0 to day 3 (the call), a5 seen at 1d, b1 to day 2, b2 to as_of (5 days,
        // its reply at 8 days is late), c seen at 2d
        assert_eq!((r.touches, r.replies, r.censored), (5, 2, 3));
        assert_eq!(r.replies_after_window, 1);
        let pc = a.per_contact.as_ref().unwrap();
        // first responses: a at touch 3, b at 2, c at 1
        let rows: Vec<(u32, u64, u64)> = pc
            .per_contact
            .iter()
            .map(|c| (c.contact, c.at_risk, c.successes))
            .collect();
        assert_eq!(rows, [(1, 3, 1), (2, 2, 1), (3, 1, 1)]);
    }

    #[test]
    fn channels_and_outcomes_are_named_with_suggestions() {
        assert!(parse_channel("emial")
            .unwrap_err()
            .contains("did you mean `email`"));
        assert_eq!(
            parse_outcome(Channel::Call, "No Answer").unwrap(),
            Some("no_answer")
        );
        assert_eq!(parse_outcome(Channel::Email, "sent").unwrap(), None);
        let e = parse_outcome(Channel::Call, "replied").unwrap_err();
        assert!(e.contains("not an outcome of call"), "{e}");
    }
}
