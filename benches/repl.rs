//! `:back` and `:goto` over a 1,000,000-cycle REPL history:
//! `cargo bench --bench repl`

use std::time::Instant;

fn main() {
    let mut s = lexum::repl::Session::new();
    s.eval("domain Counter {\n  state n: Int = 0\n  goal big: n >= 1_000_000\n    repair { n += 1 }\n}");
    let t = Instant::now();
    let out = s.eval(":run 2000000");
    println!(
        "history of {} cycles built in {:?} ({})",
        s.cycle(),
        t.elapsed(),
        out.lines().next().unwrap_or("")
    );
    for cmd in [
        ":goto 500000",
        ":back",
        ":back 1000",
        ":goto 999999",
        ":goto 1",
        ":goto 1000000",
        ":back 777777",
    ] {
        let t = Instant::now();
        let out = s.eval(cmd);
        let took = t.elapsed();
        let n = s.eval("Counter.n");
        println!(
            "{cmd:<14} {took:>12?}  -> {} (Counter.n = {})",
            out.trim(),
            n.trim()
        );
    }
}
