//! Finds two Int lists of length 128 whose additive 128-bit content hash
//! (`Value::content_hash`, its mixing copied here) collides: Wagner's k-tree
//! algorithm over 128 lists of 2^16 candidates, a few seconds. This is the
//! attack of issue 18; `tests/collision.rs` runs the pair it found
//! (`tests/fixtures/content_hash_collision.json`) and checks with the real
//! content hash that they still collide.
//!
//! `cargo bench --bench collision_search` prints list `a` (list `b` is 128
//! zeros).
fn sm(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
fn mix(a: u128, b: u128) -> u128 {
    let (a0, a1, b0, b1) = (a as u64, (a >> 64) as u64, b as u64, (b >> 64) as u64);
    let x = sm(a0 ^ sm(b0 ^ 0x243F_6A88_85A3_08D3)) ^ sm(a1.rotate_left(17) ^ b1);
    let y = sm(a1 ^ sm(b1 ^ 0x1319_8A2E_0370_7344)) ^ sm(a0.rotate_left(29) ^ b0 ^ 0xA409);
    (x as u128) | ((y as u128) << 64)
}
fn h_int(v: i64) -> u128 {
    mix(1, v as u64 as u128)
}
fn term(i: usize, v: i64) -> u128 {
    mix(h_int(v), i as u128)
}

#[derive(Clone, Copy)]
struct E {
    val: u128,
    l: u32,
    r: u32,
}

fn main() {
    let k = 128usize;
    let n: i64 = 1 << 16;
    let cap = 1usize << 17;
    for attempt in 0..20i64 {
        let base = 1 + attempt * n;
        // level 0
        let mut levels: Vec<Vec<Vec<E>>> = Vec::new();
        let l0: Vec<Vec<E>> = (0..k)
            .map(|i| {
                let z = term(i, 0);
                (0..n)
                    .map(|j| E {
                        val: term(i, base + j).wrapping_sub(z),
                        l: j as u32,
                        r: 0,
                    })
                    .collect()
            })
            .collect();
        levels.push(l0);
        let mut ok = true;
        for lvl in 1..=7u32 {
            let prev = levels.last().unwrap();
            let s = 16 * (lvl - 1);
            let width: u32 = if lvl == 7 { 32 } else { 16 };
            let mask: u128 = (1u128 << width) - 1;
            let mut next = Vec::new();
            for p in 0..prev.len() / 2 {
                let (a, b) = (&prev[2 * p], &prev[2 * p + 1]);
                let mut bk: std::collections::HashMap<u128, Vec<u32>> =
                    std::collections::HashMap::new();
                for (j, e) in b.iter().enumerate() {
                    bk.entry((e.val >> s) & mask).or_default().push(j as u32);
                }
                let mut out = Vec::new();
                'outer: for (ia, ea) in a.iter().enumerate() {
                    let want = ((1u128 << width) - ((ea.val >> s) & mask)) & mask;
                    if let Some(js) = bk.get(&want) {
                        for &jb in js {
                            out.push(E {
                                val: ea.val.wrapping_add(b[jb as usize].val),
                                l: ia as u32,
                                r: jb,
                            });
                            if out.len() >= cap {
                                break 'outer;
                            }
                        }
                    }
                }
                next.push(out);
            }
            eprintln!(
                "attempt {attempt} level {lvl}: sizes {:?}",
                next.iter().map(|x| x.len()).take(4).collect::<Vec<_>>()
            );
            if next.iter().any(|x| x.is_empty()) {
                ok = false;
                break;
            }
            levels.push(next);
        }
        if !ok {
            continue;
        }
        let top = &levels[7][0];
        let e = top[0];
        assert_eq!(e.val, 0);
        // backtrack
        let mut idx = vec![(0usize, 0u32)]; // (list index, entry index) at level 7
        for lvl in (1..=7).rev() {
            let mut nxt = Vec::new();
            for (li, ei) in idx {
                let ent = levels[lvl][li][ei as usize];
                nxt.push((2 * li, ent.l));
                nxt.push((2 * li + 1, ent.r));
            }
            idx = nxt;
        }
        let vals: Vec<i64> = idx
            .iter()
            .map(|(li, ei)| base + levels[0][*li][*ei as usize].l as i64)
            .collect();
        let sum_a = vals
            .iter()
            .enumerate()
            .fold(0u128, |s, (i, v)| s.wrapping_add(term(i, *v)));
        let sum_b = (0..k).fold(0u128, |s, i| s.wrapping_add(term(i, 0)));
        assert_eq!(sum_a, sum_b);
        println!("{}", as_list(&vals));
        return;
    }
    panic!("no collision found");
}
fn as_list(v: &[i64]) -> String {
    format!(
        "[{}]",
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}
