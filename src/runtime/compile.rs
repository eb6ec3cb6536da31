//! Compiling a checked program for a run: each goal and invariant lowered
//! to the register machine, each body too (with the invariants it must
//! check), and initial values to closures.

use super::closures::Compiler;
use super::lower::Lower;
use super::machine::ValFn;
use super::vm::{Body, Code};
use crate::ir::{self, Program, Root, Shape, StmtKind as S};

/// Everything a run executes, compiled.
pub struct Compiled {
    pub inits: Vec<ValFn>,
    pub goals: Vec<Code>,
    pub repairs: Vec<Option<Body>>,
    pub invariants: Vec<Code>,
    pub handlers: Vec<Body>,
}

impl Compiled {
    /// Compiles for the register machine, or (`closures_only`) to closures
    /// called from it one statement or condition at a time.
    pub fn new(p: &Program, closures_only: bool) -> Compiled {
        let c = Compiler { p, closures_only };
        Compiled {
            inits: p.vars.iter().map(|v| c.val(&v.init)).collect(),
            goals: p
                .goals
                .iter()
                .map(|g| Lower::new(&c).condition(&g.cond))
                .collect(),
            repairs: p
                .goals
                .iter()
                .map(|g| g.repair.as_ref().map(|b| body(&c, b, &[])))
                .collect(),
            invariants: p
                .invariants
                .iter()
                .map(|i| Lower::new(&c).condition(&i.cond))
                .collect(),
            handlers: p
                .handlers
                .iter()
                .map(|h| {
                    let params: Vec<Shape> = h.params.iter().map(|(_, t)| Shape::of(t)).collect();
                    body(&c, &h.body, &params)
                })
                .collect(),
        }
    }
}

/// Compiles one expression on demand (the REPL and the debugger's breakpoints).
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // the REPL's expressions
pub fn compile_expr(p: &Program, e: &ir::Expr) -> ValFn {
    Compiler {
        p,
        closures_only: true,
    }
    .val(e)
}

/// Compiles a handler or repair body; it checks the invariants that read a
/// variable it may assign.
fn body(c: &Compiler, b: &ir::Body, params: &[Shape]) -> Body {
    let mut assigned = Vec::new();
    assigned_vars(&b.stmts, &mut assigned);
    let invariants: Box<[u32]> = (0..c.p.invariants.len() as u32)
        .filter(|&i| {
            c.p.invariants[i as usize]
                .reads
                .iter()
                .any(|v| assigned.contains(v))
        })
        .collect();
    // With `tick` read, what to check depends on the writes (see
    // `Runtime::check_invariants`); otherwise the body checks them.
    let conds: Vec<(u32, &ir::Expr)> = invariants
        .iter()
        .filter(|_| !c.p.uses_tick)
        .map(|&i| (i, &c.p.invariants[i as usize].cond))
        .collect();
    Body {
        code: Lower::new(c).body(b, params, &conds),
        frame_size: b.frame_size,
    }
}

/// The state variables `stmts` may assign, on any path.
fn assigned_vars(stmts: &[ir::Stmt], out: &mut Vec<ir::VarId>) {
    for s in stmts {
        match &s.kind {
            S::Assign {
                root: Root::Var(v), ..
            } => out.push(*v),
            S::If(_, a, b) => {
                assigned_vars(a, out);
                assigned_vars(b, out);
            }
            S::ForRange(_, _, _, b) | S::ForEach(_, _, _, b) => assigned_vars(b, out),
            _ => {}
        }
    }
}
