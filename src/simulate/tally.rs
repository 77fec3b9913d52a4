//! The integer tallies of a run: everything counted over leads, merged exactly in any order.

use super::program::Program;

/// Everything counted over leads. Only integers, so merging is exact in any order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub leads: u64,
    pub enrolled: u64,
    pub won: u64,
    pub lost: u64,
    pub open: u64,
    /// won within 30, 60, 90, 180 days of enrollment
    pub won_by: [u64; 4],
    pub cycle_minutes_sum: u128,
    /// sum of squared cycle minutes (for the standard error of the mean)
    pub cycle_minutes_sq_sum: u128,
    /// cycle time of won leads, in hours
    pub cycle_hist: Vec<u64>,
    pub touches: u64,
    pub touches_sq_sum: u64,
    pub touches_by_channel: [u64; 7],
    /// end reasons of every cadence (`Program::reasons`)
    pub reasons: Vec<u64>,
    /// per cadence: how many times it enrolled a lead
    pub cadence_enrolled: Vec<u64>,
    pub final_stage: Vec<u64>,
    pub step_reached: Vec<u64>,
    /// times each step was passed over (`skip when`, `during`): the flagged exceptions
    pub step_skipped: Vec<u64>,
    /// [step][outcome]
    pub step_outcomes: Vec<[u64; 6]>,
    pub stage_entries: Vec<u64>,
    /// dwell per stage, in hours (completed stays only)
    pub dwell_hist: Vec<Vec<u64>>,
    /// [from][to]
    pub stage_exits: Vec<Vec<u64>>,
    /// [stage][role]
    pub escalations: Vec<Vec<u64>>,
    pub tasks: u64,
    /// [stage][exit] → leads open at the horizon in that stage; [..][conjunct] false counts
    pub held_back: Vec<Vec<Vec<u64>>>,
}

impl Tally {
    pub fn new(p: &Program, hist_hours: usize) -> Tally {
        let ns = p.stages.len();
        Tally {
            cycle_hist: vec![0; hist_hours + 1],
            reasons: vec![0; p.reasons.len()],
            cadence_enrolled: vec![0; p.cadences.len()],
            final_stage: vec![0; ns],
            step_reached: vec![0; p.steps.len()],
            step_skipped: vec![0; p.steps.len()],
            step_outcomes: vec![[0; 6]; p.steps.len()],
            stage_entries: vec![0; ns],
            dwell_hist: vec![vec![0; hist_hours + 1]; ns],
            stage_exits: vec![vec![0; ns]; ns],
            escalations: vec![vec![0; p.roles.len().max(1)]; ns],
            held_back: p
                .stages
                .iter()
                .map(|s| s.exits.iter().map(|_| vec![0; 16]).collect())
                .collect(),
            ..Tally::default()
        }
    }

    pub fn merge(&mut self, o: &Tally) {
        self.merge_times(o, 1);
    }

    /// Add `o` `n` times over (`n` leads that each counted `o`).
    pub fn merge_times(&mut self, o: &Tally, n: u64) {
        self.leads += o.leads * n;
        self.enrolled += o.enrolled * n;
        self.won += o.won * n;
        self.lost += o.lost * n;
        self.open += o.open * n;
        for i in 0..4 {
            self.won_by[i] += o.won_by[i] * n;
        }
        self.cycle_minutes_sum += o.cycle_minutes_sum * u128::from(n);
        self.cycle_minutes_sq_sum += o.cycle_minutes_sq_sum * u128::from(n);
        self.touches_sq_sum += o.touches_sq_sum * n;
        add(&mut self.cycle_hist, &o.cycle_hist, n);
        self.touches += o.touches * n;
        for i in 0..7 {
            self.touches_by_channel[i] += o.touches_by_channel[i] * n;
        }
        add(&mut self.reasons, &o.reasons, n);
        add(&mut self.cadence_enrolled, &o.cadence_enrolled, n);
        add(&mut self.final_stage, &o.final_stage, n);
        add(&mut self.step_reached, &o.step_reached, n);
        add(&mut self.step_skipped, &o.step_skipped, n);
        for (a, b) in self.step_outcomes.iter_mut().zip(&o.step_outcomes) {
            for i in 0..6 {
                a[i] += b[i] * n;
            }
        }
        add(&mut self.stage_entries, &o.stage_entries, n);
        for (a, b) in self.dwell_hist.iter_mut().zip(&o.dwell_hist) {
            add(a, b, n);
        }
        for (a, b) in self.stage_exits.iter_mut().zip(&o.stage_exits) {
            add(a, b, n);
        }
        for (a, b) in self.escalations.iter_mut().zip(&o.escalations) {
            add(a, b, n);
        }
        self.tasks += o.tasks * n;
        for (a, b) in self.held_back.iter_mut().zip(&o.held_back) {
            for (x, y) in a.iter_mut().zip(b) {
                add(x, y, n);
            }
        }
    }
}

fn add(a: &mut [u64], b: &[u64], n: u64) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y * n;
    }
}

/// How one lead ended, for paired comparisons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeadResult {
    pub enrolled: bool,
    pub won: bool,
    /// minutes from enrollment to won (0 when not won)
    pub cycle_minutes: f64,
}
