//! The exploration's report, as text. Nothing in it depends on time or on
//! the number of threads, so it is the same byte for byte on every run.

use super::story::{ending, story};
use super::{Bound, Report, Spec};
use crate::ir::Program;

/// The report of `r` for `file`. `traces` names the trace written for each
/// of `r.bad`, when there are any.
pub fn text(program: &Program, spec: &Spec, file: &str, r: &Report, traces: &[String]) -> String {
    let mut out = String::new();
    out.push_str(&format!("explored {file}\n"));
    out.push_str(&format!(
        "  configurations: {} explored, {} distinct, {} reached again and not explored again\n",
        r.explored, r.distinct, r.revisits
    ));
    out.push_str(&format!("  paths of up to {}\n", cycles(r.deepest)));
    let endings: Vec<String> = r.endings.iter().map(|(k, n)| format!("{k} {n}")).collect();
    out.push_str(&format!(
        "  paths by ending: {}\n",
        if endings.is_empty() {
            "none reached".to_string()
        } else {
            endings.join(", ")
        }
    ));
    for ((g, to), n) in &r.yields {
        out.push_str(&format!(
            "  on {n} of {} paths that end well, `{}` yields to `{}`\n",
            r.good, program.goals[*g as usize].qualified, program.goals[*to as usize].qualified
        ));
    }
    for (i, f) in r.bad.iter().enumerate() {
        let code = f
            .ending
            .code()
            .map_or("converged".to_string(), |c| c.to_string());
        out.push_str(&format!(
            "{code} is reachable in {}: {}\n",
            cycles(f.cycles),
            ending(program, &f.ending)
        ));
        out.push_str(&format!("  path: {}\n", story(program, spec, &f.choices)));
        if let Some(t) = traces.get(i) {
            out.push_str(&format!(
                "  trace: {t} (`lexum replay {t} --verify`, `lexum debug {t} --at end`)\n"
            ));
        }
    }
    let verdict = match (r.bad.is_empty(), r.bound) {
        (false, _) => {
            let codes: Vec<String> = r
                .bad
                .iter()
                .filter_map(|f| f.ending.code().map(|c| c.to_string()))
                .collect();
            format!("a bad ending is reachable ({})", codes.join(", "))
        }
        (true, None) => {
            "complete: every path ends well (proved for the choices explored)".to_string()
        }
        (true, Some(Bound::Depth(d))) => format!(
            "no bad ending in paths of up to {}; stopped at --max-depth, so nothing is proved beyond",
            cycles(d)
        ),
        (true, Some(Bound::States(n))) => format!(
            "no bad ending in the first {n} distinct configurations; stopped at --max-states, so nothing is proved beyond"
        ),
    };
    if let (false, Some(b)) = (r.bad.is_empty(), r.bound) {
        out.push_str(&format!(
            "  (stopped at {}: other endings may be reachable)\n",
            match b {
                Bound::Depth(d) => format!("--max-depth {d}"),
                Bound::States(n) => format!("--max-states {n}"),
            }
        ));
    }
    out.push_str(&format!("result: {verdict}\n"));
    out
}

/// `1 cycle`, `2 cycles`.
fn cycles(n: u64) -> String {
    if n == 1 {
        "1 cycle".to_string()
    } else {
        format!("{n} cycles")
    }
}
