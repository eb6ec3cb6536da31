//! The floor: the banking experiment as native Rust, through a `VecDeque`
//! mailbox filled in batches of 1000, invariants checked per message.
//! `cargo bench --bench banking_native -- N`

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let n: i64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000_000);
    let t = Instant::now();
    let (mut alice, mut bob, mut applied, mut rejected) = (1000i64, 1000i64, 0i64, 0i64);
    let mut queue: VecDeque<i64> = VecDeque::with_capacity(1000);
    let mut sent = 0i64;
    while sent < n {
        for i in 0..1000 {
            queue.push_back(black_box((i * 7919 + sent) % 301 - 150));
        }
        sent += 1000;
        while let Some(amount) = queue.pop_front() {
            if (amount > 0 && amount > alice) || (amount < 0 && -amount > bob) {
                rejected += 1;
            } else {
                alice -= amount;
                bob += amount;
                applied += 1;
            }
            assert!(
                alice + bob == 2000 && alice >= 0 && bob >= 0,
                "invariant broken"
            );
        }
    }
    let el = t.elapsed();
    println!("alice={alice} bob={bob} applied={applied} rejected={rejected}");
    println!(
        "native: {n} transfers in {:.3} s, {:.1} ns/message",
        el.as_secs_f64(),
        el.as_nanos() as f64 / n as f64
    );
}
