//! The lead's waking hours for one run: the UTC instants of 08:00 and 21:00 local on every
//! local day the run can reach, so that a touch's opens and replies find their waking instant
//! by a binary search instead of a time-zone lookup each. `outcomes::waking` is the meaning;
//! this table answers the same, and where it cannot (outside its days, a day whose 08:00 does
//! not exist or whose offset is not whole minutes) it asks `outcomes::waking`.

use chrono::{Duration, NaiveDate, TimeZone};

use super::outcomes::{waking, CLOSE_HOUR, OPEN_HOUR};

/// One run's waking hours in one time zone.
#[derive(Debug, Clone)]
pub struct WakingTable {
    tz: chrono_tz::Tz,
    /// per local day in order: (08:00, 21:00) in minutes since the epoch; NaN where that day
    /// is irregular
    days: Vec<(f64, f64)>,
}

impl WakingTable {
    /// The local days from the one before `from` to the one after `to` (minutes since the
    /// epoch).
    pub fn new(tz: chrono_tz::Tz, from: f64, to: f64) -> WakingTable {
        // beyond this the lookup answers: the table's size is a speed matter only
        let to = to.min(from + 20_000.0 * 1440.0);
        let local_day = |t: f64| {
            chrono::DateTime::from_timestamp((t * 60.0).floor() as i64, 0)
                .map(|u| u.with_timezone(&tz).date_naive())
        };
        let (Some(first), Some(last)) = (local_day(from), local_day(to)) else {
            return WakingTable {
                tz,
                days: Vec::new(),
            };
        };
        let at = |d: NaiveDate, hour: u32| {
            let local = d.and_hms_opt(hour, 0, 0)?;
            let utc = tz.from_local_datetime(&local).earliest()?;
            // a whole-minute instant, as `waking` compares whole local minutes
            (utc.timestamp() % 60 == 0).then(|| utc.timestamp() as f64 / 60.0)
        };
        let mut days = Vec::new();
        let mut d = first - Duration::days(1);
        while d <= last + Duration::days(1) {
            days.push(match (at(d, OPEN_HOUR), at(d, CLOSE_HOUR)) {
                (Some(o), Some(c)) if o < c => (o, c),
                _ => (f64::NAN, f64::NAN),
            });
            d += Duration::days(1);
        }
        WakingTable { tz, days }
    }

    /// The first instant at or after `t` inside waking hours: `outcomes::waking(t, tz)`.
    #[inline]
    pub fn at(&self, t: f64) -> f64 {
        // the first day whose waking hours end after t (NaN days compare false: asked below)
        let i = self.days.partition_point(|(_, close)| *close <= t);
        match self.days.get(i) {
            // not the first day: the day before must be known to have ended by t
            Some((open, _)) if i > 0 && !open.is_nan() && !self.days[i - 1].1.is_nan() => {
                open.max(t)
            }
            _ => waking(t, self.tz),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table against `outcomes::waking` (the meaning) at instants spread over two years
    /// and packed around every local 08:00 and 21:00, in zones with and without daylight
    /// saving, with half- and quarter-hour offsets, and one that skipped a whole day.
    #[test]
    fn the_table_answers_what_waking_answers() {
        let zones = [
            "UTC",
            "Europe/Berlin",
            "America/New_York",
            "Asia/Shanghai",
            "Asia/Kolkata",
            "Asia/Kathmandu",
            "Australia/Lord_Howe",
            "Pacific/Apia",
            "America/Santiago",
        ];
        let from = 29_453_760.0 - 400.0 * 1440.0; // 2025, around
        let to = from + 800.0 * 1440.0;
        let mut z: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut checked = 0u64;
        for name in zones {
            let tz: chrono_tz::Tz = name.parse().expect("zone");
            let table = WakingTable::new(tz, from, to);
            let mut probe = |t: f64| {
                assert_eq!(table.at(t), waking(t, tz), "{name} at {t}");
                checked += 1;
            };
            for _ in 0..20_000 {
                z ^= z << 13;
                z ^= z >> 7;
                z ^= z << 17;
                // also beyond the table's days on both sides
                let t = from - 30.0 * 1440.0 + (z % (860 * 1440 * 60)) as f64 / 60.0;
                probe(t);
            }
            for (open, close) in table.days.clone() {
                if open.is_nan() {
                    continue;
                }
                for edge in [open, close] {
                    for dt in [-61.0, -1.0, -0.5, -1e-6, 0.0, 1e-6, 0.5, 1.0, 61.0] {
                        probe(edge + dt);
                    }
                }
            }
        }
        assert!(checked > 180_000 + 9 * 700 * 18, "{checked}");
    }
}
