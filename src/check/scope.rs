//! The per-body context: which domain we are in, what kind of body this is
//! (and so what it may do), the local scopes, and what the body reads, writes and sends.

use std::collections::BTreeSet;

use crate::ir::{DomainId, HandlerId, LocalId, VarId};
use crate::types::Type;

/// What kind of code is being checked decides what it may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A state's initial value: a constant.
    Init,
    /// A goal or invariant condition: pure (E003 otherwise).
    Pure(&'static str),
    /// A handler or a repair: may write its own state, send, call effects.
    Action,
}

pub struct BodyCtx {
    pub domain: DomainId,
    pub mode: Mode,
    scopes: Vec<Vec<(String, LocalId, Type)>>,
    next_local: LocalId,
    pub reads: BTreeSet<VarId>,
    pub writes: BTreeSet<VarId>,
    pub sends: BTreeSet<HandlerId>,
    pub uses_tick: bool,
    pub depth: usize,
}

impl BodyCtx {
    pub fn new(domain: DomainId, mode: Mode) -> Self {
        BodyCtx {
            domain,
            mode,
            scopes: vec![Vec::new()],
            next_local: 0,
            reads: BTreeSet::new(),
            writes: BTreeSet::new(),
            sends: BTreeSet::new(),
            uses_tick: false,
            depth: 0,
        }
    }

    pub fn push_scope(&mut self) {
        self.scopes.push(Vec::new());
    }

    pub fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    /// Binds a fresh slot; slots are never reused, so a frame's size is the
    /// number of bindings in the body.
    pub fn bind(&mut self, name: &str, ty: Type) -> LocalId {
        let id = self.next_local;
        self.next_local += 1;
        if let Some(scope) = self.scopes.last_mut() {
            scope.push((name.to_string(), id, ty));
        }
        id
    }

    pub fn lookup(&self, name: &str) -> Option<(LocalId, &Type)> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(n, _, _)| n == name)
            .map(|(_, id, ty)| (*id, ty))
    }

    /// The locals in scope (for suggestions).
    pub fn local_names(&self) -> impl Iterator<Item = &str> {
        self.scopes.iter().flatten().map(|(n, _, _)| n.as_str())
    }

    pub fn frame_size(&self) -> u32 {
        self.next_local
    }
}
