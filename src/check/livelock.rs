//! W101: possible livelock. A goal's repair can change variable `v` if it
//! writes `v` or sends (directly or through a chain of handlers) a message
//! whose handler writes `v`. Two goals of equal priority that can each change
//! what the other reads may fight forever; neither yields to the other.

use std::collections::BTreeSet;

use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::ir::{HandlerId, Program, VarId};

/// What each body writes and sends, gathered while checking.
#[derive(Default)]
pub struct Bodies {
    /// Per handler, in `HandlerId` order.
    pub handlers: Vec<(BTreeSet<VarId>, BTreeSet<HandlerId>)>,
    /// Per repair: (goal index, writes, sends).
    pub repairs: Vec<(usize, BTreeSet<VarId>, BTreeSet<HandlerId>)>,
}

/// Every variable a handler can change, through the messages it sends too.
fn handler_effects(bodies: &Bodies) -> Vec<BTreeSet<VarId>> {
    let mut eff: Vec<BTreeSet<VarId>> = bodies.handlers.iter().map(|(w, _)| w.clone()).collect();
    loop {
        let mut changed = false;
        for (h, (_, sends)) in bodies.handlers.iter().enumerate() {
            for &s in sends {
                let add: Vec<VarId> = eff
                    .get(s as usize)
                    .map(|e| e.iter().copied().collect())
                    .unwrap_or_default();
                for v in add {
                    changed |= eff[h].insert(v);
                }
            }
        }
        if !changed {
            return eff;
        }
    }
}

/// At most this many W101 pairs are reported, then one summary: a program
/// of n goals has up to n²/2 pairs, and reports must not cost gigabytes.
pub const MAX_REPORTED: usize = 100;

pub fn check(program: &Program, bodies: &Bodies) -> Vec<Diagnostic> {
    let heff = handler_effects(bodies);
    let mut changes: Vec<BTreeSet<VarId>> = vec![BTreeSet::new(); program.goals.len()];
    for (g, writes, sends) in &bodies.repairs {
        let mut set = writes.clone();
        for &s in sends {
            if let Some(e) = heff.get(s as usize) {
                set.extend(e.iter().copied());
            }
        }
        changes[*g] = set;
    }
    // Which goals read each variable, so only pairs that touch are compared.
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); program.vars.len()];
    let reads: Vec<BTreeSet<VarId>> = program
        .goals
        .iter()
        .enumerate()
        .map(|(g, goal)| {
            for &v in &goal.reads {
                readers[v as usize].push(g);
            }
            goal.reads.iter().copied().collect()
        })
        .collect();
    let mut out = Vec::new();
    let mut more = 0usize;
    for (i, gi) in program.goals.iter().enumerate() {
        let pi = program.domains[gi.domain as usize].priority;
        let candidates: BTreeSet<usize> = changes[i]
            .iter()
            .flat_map(|&v| readers[v as usize].iter().copied())
            .filter(|&j| j > i)
            .collect();
        for j in candidates {
            let gj = &program.goals[j];
            if program.domains[gj.domain as usize].priority != pi {
                continue;
            }
            let i_on_j = changes[i].intersection(&reads[j]).next().copied();
            let j_on_i = changes[j].intersection(&reads[i]).next().copied();
            let (Some(a), Some(b)) = (i_on_j, j_on_i) else {
                continue;
            };
            if out.len() >= MAX_REPORTED {
                more += 1;
                continue;
            }
            let va = &program.vars[a as usize].qualified;
            let vb = &program.vars[b as usize].qualified;
            let vars = if a == b {
                format!("`{va}`")
            } else {
                format!("`{va}` and `{vb}`")
            };
            out.push(
                Diagnostic::new(
                    Code::W101,
                    gi.span,
                    format!(
                        "possible livelock: goals `{}` and `{}` (both priority {}) can change what each other reads: {vars}",
                        gi.qualified,
                        gj.qualified,
                        pi.name()
                    ),
                )
                .with_label(format!("its repair can change `{vb}`... "))
                .with_secondary(gj.span, format!("...and this goal's repair can change `{va}`"))
                .with_help("give one goal a higher priority, so the other yields to it, or make the goals agree"),
            );
        }
    }
    if more > 0 {
        if let Some(first) = program.goals.first() {
            out.push(
                Diagnostic::new(
                    Code::W101,
                    first.span,
                    format!("{more} more pairs of goals may livelock (only the first {MAX_REPORTED} are shown)"),
                )
                .with_label("the first goal of the program")
                .with_help("give the goals that fight different priorities, or make them agree"),
            );
        }
    }
    out
}
