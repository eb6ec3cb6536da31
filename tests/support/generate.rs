//! Random valid programs for property tests (runtime_props, differential).

/// A small deterministic generator (xorshift), seeded by proptest.
pub struct Gen(pub u64);

impl Gen {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const PRIORITIES: [&str; 3] = ["high", "normal", "low"];

/// Generates a valid program: 1–3 domains with Int state, handlers that
/// assign, branch, loop, send and sometimes fail, and goals with repairs.
/// `rich` adds locals, `Bool`s, connectives, builtins and failing arithmetic.
pub fn program(seed: u64) -> String {
    generate(seed, false)
}

pub fn generate(seed: u64, rich: bool) -> String {
    let mut g = Gen(seed | 1);
    let nd = 1 + g.below(3) as usize;
    let vars: Vec<Vec<String>> = (0..nd)
        .map(|d| (0..1 + g.below(3)).map(|v| format!("v{d}_{v}")).collect())
        .collect();
    let handlers: Vec<Vec<String>> = (0..nd)
        .map(|d| (0..1 + g.below(2)).map(|h| format!("h{d}_{h}")).collect())
        .collect();
    let mut src = String::new();
    for d in 0..nd {
        let retry = g.below(3);
        src.push_str(&format!(
            "domain D{d} priority {} retry {retry} {{\n",
            g.pick(&PRIORITIES)
        ));
        for v in &vars[d] {
            src.push_str(&format!("  state {v}: Int = {}\n", g.below(5)));
        }
        let read = |g: &mut Gen| {
            let od = g.below(nd as u64) as usize;
            let v = &vars[od][g.below(vars[od].len() as u64) as usize];
            if od == d {
                v.clone()
            } else {
                format!("D{od}.{v}")
            }
        };
        let expr = |g: &mut Gen| match g.below(if rich { 11 } else { 4 }) {
            0 => format!("{}", g.below(7)),
            1 => read(g),
            2 => format!("{} + {}", read(g), g.below(3)),
            3 => format!("({} - {}) % 5", read(g), read(g)),
            4 => format!("-{} * {}", read(g), g.below(4)),
            5 => format!("min({}, {}) + max({}, 2)", read(g), read(g), read(g)),
            6 => format!("{} / {}", read(g), read(g)),
            7 => format!("{} % ({} - 2)", read(g), read(g)),
            8 => format!("{} * 4_611_686_018_427_387_904", read(g)),
            9 => format!("{} - {}", g.below(9), read(g)),
            _ => format!("len(\"ab\") + {}", read(g)),
        };
        let cond = |g: &mut Gen| match g.below(if rich { 9 } else { 1 }) {
            0 => format!("{} > {}", read(g), g.below(5)),
            1 => format!(
                "{} <= {} && {} != {}",
                read(g),
                read(g),
                read(g),
                g.below(3)
            ),
            2 => format!("!({} < {}) || {} == 1", g.below(4), read(g), read(g)),
            3 => format!(
                "{} >= {} || !({} > 2 && {} < 4)",
                read(g),
                read(g),
                read(g),
                read(g)
            ),
            4 => format!("{} + 1 > {}", read(g), g.below(5)),
            5 => format!(
                "-{} <= {} || {} < {}",
                read(g),
                g.below(3),
                g.below(3),
                read(g)
            ),
            6 => format!(
                "{} % 3 >= {} && {} - 1 != {}",
                read(g),
                g.below(3),
                read(g),
                g.below(3)
            ),
            7 => format!("{} > {}", g.below(5), read(g)),
            _ => format!("{} == {}", read(g), read(g)),
        };
        let body = |g: &mut Gen, with_param: bool| {
            let mut b = String::new();
            for _ in 0..1 + g.below(3) {
                let own = &vars[d][g.below(vars[d].len() as u64) as usize];
                let stmt = match g.below(if rich { 11 } else { 7 }) {
                    0 => format!("{own} = {}", expr(g)),
                    7 => format!("let x = {}\n    x += {}\n    {own} = x", expr(g), expr(g)),
                    8 => format!("let ok = {}\n    if ok {{ {own} += 1 }}", cond(g)),
                    9 => format!(
                        "for j in {}..{} {{ let y = j * 2\n {own} += y }}",
                        g.below(2),
                        g.below(4)
                    ),
                    10 => format!("if {} {{ {own} = {} }}", cond(g), expr(g)),
                    1 => format!(
                        "{own} += {}",
                        if with_param { "p".to_string() } else { expr(g) }
                    ),
                    2 => format!("if {} {{ {own} -= 1 }} else {{ {own} += 1 }}", cond(g)),
                    3 => format!("for i in 0..{} {{ {own} += i }}", g.below(4)),
                    4 | 5 => {
                        let td = g.below(nd as u64) as usize;
                        let h = &handlers[td][g.below(handlers[td].len() as u64) as usize];
                        let after = if g.below(4) == 0 {
                            format!(" after {}", g.below(3))
                        } else {
                            String::new()
                        };
                        format!("send D{td}.{h}({}){after}", g.below(3))
                    }
                    _ => format!("if {} == {} {{ fail \"bad luck\" }}", read(g), g.below(6)),
                };
                b.push_str(&format!("    {stmt}\n"));
            }
            b
        };
        for h in &handlers[d] {
            let b = body(&mut g, true);
            src.push_str(&format!("  on {h}(p: Int) {{\n{b}  }}\n"));
        }
        for k in 0..g.below(3) {
            let cond = if rich && g.below(2) == 0 {
                cond(&mut g)
            } else {
                format!(
                    "{} {} {}",
                    read(&mut g),
                    g.pick(&["<", ">=", "==", "!="]),
                    g.below(6)
                )
            };
            let b = body(&mut g, false);
            src.push_str(&format!("  goal g{k}: {cond}\n    repair {{\n{b}    }}\n"));
        }
        if g.below(3) == 0 {
            src.push_str(&format!(
                "  invariant bounded: {} < 1_000_000\n",
                read(&mut g)
            ));
        }
        src.push_str("}\n");
    }
    src
}
