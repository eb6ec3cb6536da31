//! The lock service of `benches/explore/lock.lxm`, as a Stateright model
//! with the same transitions as Lexum's exploration of it:
//!
//! - N clients' `acquire` requests are external inputs; each may arrive at
//!   any boundary (any order) or, with `--lossy`, be lost;
//! - messages in flight form one FIFO queue (Lexum's queue: one priority,
//!   due times in send order); a step handles the oldest;
//! - `acquire(c)`: a free lock goes to c (send `work(c)`), else c waits in
//!   FIFO order; `work(c)` sends `release(c)`; `release(c)` serves one more
//!   and hands the lock to the next waiter (send `work`), or frees it.
//!
//! Usage: `lock-stateright N THREADS` prints states, unique states, seconds.

use std::collections::VecDeque;
use std::time::Instant;

use stateright::{Checker, Model, Property};

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum Msg {
    Acquire(u8),
    Work(u8),
    Release(u8),
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct State {
    /// Requests not yet arrived nor lost.
    pending: u32,
    holder: u8,
    waiting: VecDeque<u8>,
    served: u8,
    queue: VecDeque<Msg>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Action {
    Arrive(u8),
    Lose(u8),
    Step,
}

struct Lock {
    clients: u8,
    lossy: bool,
}

impl Model for Lock {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        vec![State {
            pending: (1u32 << self.clients) - 1,
            holder: 0,
            waiting: VecDeque::new(),
            served: 0,
            queue: VecDeque::new(),
        }]
    }

    fn actions(&self, s: &State, actions: &mut Vec<Action>) {
        for c in 0..self.clients {
            if s.pending & (1 << c) != 0 {
                actions.push(Action::Arrive(c + 1));
                if self.lossy {
                    actions.push(Action::Lose(c + 1));
                }
            }
        }
        if !s.queue.is_empty() {
            actions.push(Action::Step);
        }
    }

    fn next_state(&self, s: &State, a: Action) -> Option<State> {
        let mut n = s.clone();
        match a {
            Action::Arrive(c) => {
                n.pending &= !(1 << (c - 1));
                n.queue.push_back(Msg::Acquire(c));
            }
            Action::Lose(c) => n.pending &= !(1 << (c - 1)),
            Action::Step => match n.queue.pop_front()? {
                Msg::Acquire(c) => {
                    if n.holder == 0 {
                        n.holder = c;
                        n.queue.push_back(Msg::Work(c));
                    } else {
                        n.waiting.push_back(c);
                    }
                }
                Msg::Work(c) => n.queue.push_back(Msg::Release(c)),
                Msg::Release(_) => {
                    n.served += 1;
                    match n.waiting.pop_front() {
                        Some(w) => {
                            n.holder = w;
                            n.queue.push_back(Msg::Work(w));
                        }
                        None => n.holder = 0,
                    }
                }
            },
        }
        Some(n)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        // The same check as the Lexum program's invariant: one holder, never
        // waiting for itself.
        vec![Property::always("exclusive", |_, s: &State| {
            !s.waiting.contains(&s.holder)
        })]
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let clients: u8 = args.next().and_then(|a| a.parse().ok()).unwrap_or(6);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let lossy = args.next().as_deref() == Some("lossy");
    let start = Instant::now();
    let checker = Lock { clients, lossy }
        .checker()
        .threads(threads)
        .spawn_bfs()
        .join();
    let secs = start.elapsed().as_secs_f64();
    checker.assert_properties();
    println!(
        "stateright clients={clients} threads={threads} lossy={lossy} states={} unique={} seconds={secs:.3}",
        checker.state_count(),
        checker.unique_state_count()
    );
}
