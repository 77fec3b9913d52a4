//! A canonical order for build outputs: the model lists declarations in file order, which
//! changes when files are renamed. Builds sort every top-level list by name (names are unique
//! per kind) and renumber the references between them, so the bytes depend only on the
//! declarations.

use crate::model::{Expect, Model, RespondTarget, SimTarget, TestWhat};

/// The positions of `names` sorted by name: `order[new] = old`, and its inverse `remap[old] = new`.
fn by_name<'a>(names: impl Iterator<Item = &'a str>) -> (Vec<usize>, Vec<usize>) {
    let names: Vec<&str> = names.collect();
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|a, b| names[*a].cmp(names[*b]).then(a.cmp(b)));
    let mut remap = vec![0; names.len()];
    for (new, old) in order.iter().enumerate() {
        remap[*old] = new;
    }
    (order, remap)
}

fn permute<T: Clone>(items: &[T], order: &[usize]) -> Vec<T> {
    order
        .iter()
        .filter_map(|i| items.get(*i).cloned())
        .collect()
}

fn re(remap: &[usize], i: usize) -> usize {
    remap.get(i).copied().unwrap_or(i)
}

/// The model with calendars, pipelines, cadences, lead models, simulations and tests sorted by
/// name and every index between them renumbered. Order inside a declaration (stages, steps,
/// exits) is the author's and stays.
pub fn canonical(m: &Model) -> Model {
    let (cal_order, cal) = by_name(m.calendars.iter().map(|c| c.name.as_str()));
    let (pipe_order, pipe) = by_name(m.pipelines.iter().map(|p| p.name.as_str()));
    let (cad_order, cad) = by_name(m.cadences.iter().map(|c| c.name.as_str()));
    let (lead_order, lead) = by_name(m.leads.iter().map(|l| l.name.as_str()));
    let (sim_order, _) = by_name(m.simulations.iter().map(|s| s.name.as_str()));
    let (test_order, _) = by_name(m.tests.iter().map(|t| t.name.as_str()));

    let mut out = Model {
        calendars: permute(&m.calendars, &cal_order),
        pipelines: permute(&m.pipelines, &pipe_order),
        cadences: permute(&m.cadences, &cad_order),
        leads: permute(&m.leads, &lead_order),
        simulations: permute(&m.simulations, &sim_order),
        tests: permute(&m.tests, &test_order),
    };
    for p in &mut out.pipelines {
        p.calendar = p.calendar.map(|i| re(&cal, i));
    }
    for c in &mut out.cadences {
        c.calendar = c.calendar.map(|i| re(&cal, i));
        c.pipeline = c.pipeline.map(|i| re(&pipe, i));
    }
    for l in &mut out.leads {
        let pops =
            std::iter::once(&mut l.base).chain(l.segments.iter_mut().map(|s| &mut s.overrides));
        for pop in pops {
            for r in &mut pop.respond {
                if let RespondTarget::Step { cadence, .. } = &mut r.target {
                    *cadence = re(&cad, *cadence);
                }
            }
        }
    }
    let target = |t: &mut SimTarget| match t {
        SimTarget::Cadence(c) => *c = re(&cad, *c),
        SimTarget::Pipeline {
            pipeline, cadences, ..
        } => {
            *pipeline = re(&pipe, *pipeline);
            for c in cadences.iter_mut() {
                *c = re(&cad, *c);
            }
            // new indices follow names, so this keeps the list in name order
            cadences.sort_unstable();
        }
    };
    for s in &mut out.simulations {
        target(&mut s.target);
        s.leads = re(&lead, s.leads);
    }
    for t in &mut out.tests {
        target(&mut t.target);
        for e in &mut t.events {
            if let TestWhat::Outcome { cadence, .. } = &mut e.what {
                *cadence = re(&cad, *cadence);
            }
        }
        for x in &mut t.expectations {
            if let Expect::Path(steps) = &mut x.what {
                for (c, _) in steps.iter_mut() {
                    *c = re(&cad, *c);
                }
            }
        }
    }
    out
}
