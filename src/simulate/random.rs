//! Keyed randomness. A draw is a pure function of (seed, lead, site, purpose, repeat): the site is
//! a hash of the step, stage or fact name, so adding a step in one version of a cadence leaves
//! every other draw unchanged (common random numbers for `compare`), and the order in which leads
//! or events are processed never matters (determinism on any thread count).
//!
//! The generator is SplitMix64's finaliser applied to a running mix of the key words: a fixed,
//! documented algorithm (unlike `StdRng`/`SmallRng`, whose algorithms may change between releases).

use crate::model::Dist;

/// What a draw is for; part of the key so two draws at one site never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    Segment = 1,
    Fact = 2,
    Responsiveness = 3,
    Outcome = 4,
    Opened = 5,
    Clicked = 6,
    ReplyDelay = 7,
    Milestone = 8,
    MilestoneDelay = 9,
    Variant = 10,
    Arrival = 11,
    Repeat = 12,
    Delivered = 13,
    OpenDelay = 14,
    MeetingResult = 15,
    MeetingDelay = 16,
}

#[inline]
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a: a stable hash of a name, used as the site of a draw.
pub fn site(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The part of a draw's key that is the same for every lead: (site, purpose, repeat) mixed.
/// A program precomputes it for the draw every lead makes at a step (its first outcome draw).
#[inline]
pub fn draw_key(site: u64, purpose: Purpose, repeat: u64) -> u64 {
    mix(site ^ mix((purpose as u64) << 32 ^ repeat))
}

/// The random source of one lead.
#[derive(Debug, Clone, Copy)]
pub struct LeadRng {
    key: u64,
}

impl LeadRng {
    pub fn new(seed: u64, lead: u64) -> LeadRng {
        LeadRng {
            key: mix(mix(seed) ^ lead.wrapping_mul(0xD1B5_4A32_D192_ED03)),
        }
    }

    /// A uniform draw in [0, 1) for (site, purpose, repeat).
    #[inline]
    pub fn uniform(&self, site: u64, purpose: Purpose, repeat: u64) -> f64 {
        self.uniform_at(draw_key(site, purpose, repeat))
    }

    /// The uniform draw whose `draw_key` is `key`.
    #[inline]
    pub fn uniform_at(&self, key: u64) -> f64 {
        let z = mix(self.key ^ key);
        // 53 random bits → [0, 1)
        (z >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal draw (Box–Muller on two keyed uniforms).
    pub fn normal(&self, site: u64, purpose: Purpose, repeat: u64) -> f64 {
        let u1 = 1.0 - self.uniform(site, purpose, repeat * 2);
        let u2 = self.uniform(site, purpose, repeat * 2 + 1);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A draw from a numeric distribution (durations come out in minutes, money as amounts).
    pub fn sample(&self, d: &Dist, site: u64, purpose: Purpose) -> f64 {
        match d {
            Dist::Const { value } => crate::simulate::value_number(value),
            Dist::Bernoulli { p } => f64::from(u8::from(self.uniform(site, purpose, 0) < *p)),
            Dist::Uniform { low, high } => low + (high - low) * self.uniform(site, purpose, 0),
            Dist::Normal { mean, sd } => mean + sd * self.normal(site, purpose, 0),
            Dist::LogNormal { mu, sigma } => (mu + sigma * self.normal(site, purpose, 0)).exp(),
            Dist::Exponential { mean } => -mean * (1.0 - self.uniform(site, purpose, 0)).ln(),
            Dist::Weibull { scale, shape } => {
                scale * (-(1.0 - self.uniform(site, purpose, 0)).ln()).powf(1.0 / shape)
            }
            Dist::Gamma { mean, shape } => mean / shape * self.gamma(*shape, site, purpose, 0),
            Dist::Beta { a, b } => {
                let x = self.gamma(*a, site, purpose, 0);
                let y = self.gamma(*b, site, purpose, 1);
                if x + y > 0.0 {
                    x / (x + y)
                } else {
                    0.5
                }
            }
            Dist::Choice { options } => {
                let u = self.uniform(site, purpose, 0);
                let mut acc = 0.0;
                for (v, w) in options {
                    acc += w;
                    if u < acc {
                        return crate::simulate::value_number(v);
                    }
                }
                options
                    .last()
                    .map(|(v, _)| crate::simulate::value_number(v))
                    .unwrap_or(f64::NAN)
            }
        }
    }

    /// Gamma(shape, 1) by Marsaglia–Tsang; each retry uses the next repeat index (bounded).
    fn gamma(&self, shape: f64, site: u64, purpose: Purpose, stream: u64) -> f64 {
        if shape < 1.0 {
            // boost: G(a) = G(a + 1) * U^(1/a)
            let u = self.uniform(site, purpose, 1_000_000 + stream);
            return self.gamma(shape + 1.0, site, purpose, stream) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        for k in 0..64u64 {
            let rep = stream * 1000 + k;
            let x = self.normal(site, purpose, 2_000_000 + rep);
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform(site, purpose, 3_000_000 + rep);
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
        shape // practically unreachable (acceptance rate > 95% per try)
    }
}
