//! Upgrading a live run's program (`lexum serve NEW --upgrade`): the run
//! goes on under the new program from the cycle it has reached. Variables
//! that keep their qualified name and type keep their values (as the REPL
//! does for a redeclared domain); the others start from their declared
//! initial values. Pending messages for a handler that keeps its name and
//! parameter types stay queued; repairs are dropped and re-derived from the
//! new goals. The clock, the cycle count, the effect call ids and the run
//! hash go on; the upgrade itself is hashed.

use super::{hash, sim, Runtime};
use crate::ir::{HandlerId, Program, VarId};

/// What an upgrade kept and reset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upgraded {
    /// Variables that kept their values (`Domain.var`).
    pub kept: Vec<String>,
    /// Variables that start from their declared values: new, or of a new
    /// type.
    pub reset: Vec<String>,
    /// Variables of the old program that are gone.
    pub removed: Vec<String>,
    /// Pending messages dropped because their handler is gone or changed.
    pub dropped_messages: usize,
}

impl<'p> Runtime<'p> {
    /// Goes on under `program` (whose source has `sha256`).
    pub fn upgrade(&mut self, program: &'p Program, sha256: &[u8]) -> Upgraded {
        let old = self.program;
        let mut report = Upgraded::default();
        let mut initial = Vec::new();
        for (v, var) in program.vars.iter().enumerate() {
            let same = old
                .vars
                .iter()
                .position(|o| o.qualified == var.qualified && o.ty == var.ty);
            match same.and_then(|o| self.value_of(o).cloned()) {
                Some(value) => {
                    initial.push((v as VarId, value));
                    report.kept.push(var.qualified.clone());
                }
                None => report.reset.push(var.qualified.clone()),
            }
        }
        report.removed = old
            .vars
            .iter()
            .filter(|o| !program.vars.iter().any(|v| v.qualified == o.qualified))
            .map(|o| o.qualified.clone())
            .collect();
        let fx = std::mem::replace(&mut self.fx, Box::new(sim::Unbound));
        let hasher = std::mem::take(&mut self.hasher);
        let mut rt = Runtime::build(program, self.options.clone(), fx, hasher);
        rt.detector_log = self.detector_log.take();
        rt.interp.tick = self.interp.tick;
        rt.interp.next_effect_id = self.interp.next_effect_id;
        rt.run.cycle = self.run.cycle;
        rt.run.seq = self.run.seq;
        rt.run.external_input = self.run.external_input;
        rt.run.inputs_delivered = self.run.inputs_delivered;
        rt.run.time_advances = self.run.time_advances;
        hash::encode_upgrade(&mut rt.hasher.buf, rt.run.cycle, sha256);
        rt.start(&initial);
        let now = rt.tau();
        for (_, e) in self.run.queue.iter() {
            let super::queue::EventKind::Message { handler, args } = &e.kind else {
                continue;
            };
            let h = &old.handlers[*handler as usize];
            let same = program.handlers.iter().position(|n| {
                n.qualified == h.qualified
                    && n.params.len() == h.params.len()
                    && n.params.iter().zip(&h.params).all(|(a, b)| a.1 == b.1)
            });
            match same {
                Some(n) => rt.enqueue_at(
                    super::queue::EventKind::Message {
                        handler: n as HandlerId,
                        args: args.clone(),
                    },
                    None,
                    e.retry,
                    e.due.max(now),
                    e.cause,
                    now,
                ),
                None => report.dropped_messages += 1,
            }
        }
        *self = rt;
        report
    }
}
