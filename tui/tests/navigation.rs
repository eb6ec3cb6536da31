//! The navigation state machine, driven by actions over a fake run: no
//! terminal, no drawing.

use lexum_tui::app::{Action, App, Mode, Prompt};
use lexum_tui::view::*;

/// Ten cycles; cycle 4 fails, cycle 5 retries it; a yield before cycle 7;
/// the loop starts at 6 (period 2). Cycle n's cause is n - 1. `x` is n * 10.
struct Fake {
    summary: Summary,
    marks: Vec<Mark>,
    vars: Vec<String>,
}

impl Fake {
    fn new(with_loop: bool) -> Fake {
        let mut marks = vec![Mark::Committed; 10];
        marks[3] = Mark::Failed;
        marks[4] = Mark::Retried;
        Fake {
            summary: Summary {
                status: "oscillation".into(),
                code: Some("E005".into()),
                run_hash: "00".into(),
                loop_start: with_loop.then_some(6),
                loop_period: with_loop.then_some(2),
                yields: vec![(7, "A.g yielded to B.h".into())],
            },
            marks,
            vars: vec!["D.x".into(), "D.name".into()],
        }
    }
}

impl TraceView for Fake {
    fn len(&self) -> usize {
        10
    }
    fn title(&self) -> &str {
        "fake"
    }
    fn source(&self) -> &str {
        "domain D { state x: Int = 0 }"
    }
    fn summary(&self) -> &Summary {
        &self.summary
    }
    fn marks(&self) -> &[Mark] {
        &self.marks
    }
    fn cycle(&self, n: usize) -> Option<CycleInfo> {
        (1..=10).contains(&n).then(|| CycleInfo {
            cycle: n,
            tick: n as i64 - 1,
            event: if n.is_multiple_of(2) {
                format!("D.poke({n})")
            } else {
                "repair D.g".into()
            },
            domain: "D".into(),
            name: if n.is_multiple_of(2) {
                "poke".into()
            } else {
                "g".into()
            },
            kind: Some(if n.is_multiple_of(2) {
                Kind::Message
            } else {
                Kind::Repair
            }),
            cause: Some(n - 1),
            failed: (n == 4).then(|| "boom".into()),
            ..CycleInfo::default()
        })
    }
    fn variables(&self) -> &[String] {
        &self.vars
    }
    fn state(&self, n: usize) -> Vec<String> {
        vec![(n * 10).to_string(), "\"d\"".into()]
    }
    fn queue(&self, _: usize) -> Vec<QueueItem> {
        Vec::new()
    }
    fn goals(&self, _: usize) -> Vec<GoalInfo> {
        Vec::new()
    }
    fn series(&self, var: usize) -> Vec<(usize, i64)> {
        if var == 0 {
            (0..=10).map(|n| (n, n as i64 * 10)).collect()
        } else {
            Vec::new()
        }
    }
    fn find(&self, from: usize, forward: bool, expr: &str) -> Result<Option<usize>, String> {
        // Understands exactly `D.x >= K`.
        let k: usize = expr
            .strip_prefix("D.x >= ")
            .and_then(|k| k.parse().ok())
            .ok_or("error[E002]: bad")?;
        Ok(if forward {
            (from + 1..=10).find(|n| n * 10 >= k)
        } else {
            (0..from).rev().find(|n| n * 10 >= k)
        })
    }
}

fn run(view: &Fake, actions: &[Action]) -> App {
    let mut app = App::new(view, 0);
    for a in actions {
        app.apply(view, *a);
    }
    app
}

fn typed(text: &str) -> Vec<Action> {
    text.chars().map(Action::Input).collect()
}

#[test]
fn arrows_pages_home_and_end_stay_in_bounds() {
    let v = Fake::new(true);
    assert_eq!(
        run(&v, &[Action::Next, Action::Next, Action::Next]).cursor,
        3
    );
    assert_eq!(run(&v, &[Action::Prev]).cursor, 0);
    assert_eq!(run(&v, &[Action::PageDown]).cursor, 10);
    assert_eq!(run(&v, &[Action::End, Action::Next]).cursor, 10);
    assert_eq!(run(&v, &[Action::End, Action::PageUp]).cursor, 0);
    assert_eq!(run(&v, &[Action::End, Action::Home]).cursor, 0);
    assert_eq!(run(&v, &[Action::Scroll(3), Action::Scroll(-1)]).cursor, 2);
}

#[test]
fn o_jumps_to_the_oscillation_start() {
    let app = run(&Fake::new(true), &[Action::End, Action::Oscillation]);
    assert_eq!(app.cursor, 6);
    assert!(app.message.contains("period 2"));
    let app = run(&Fake::new(false), &[Action::Next, Action::Oscillation]);
    assert_eq!(app.cursor, 1);
    assert_eq!(app.message, "this run has no oscillation");
}

#[test]
fn n_and_shift_n_visit_failures_retries_and_yields() {
    let v = Fake::new(true);
    let app = run(&v, &[Action::NextNotable]);
    assert_eq!(app.cursor, 4);
    let app = run(
        &v,
        &[
            Action::NextNotable,
            Action::NextNotable,
            Action::NextNotable,
        ],
    );
    assert_eq!(app.cursor, 7, "the yield");
    let app = run(&v, &[Action::End, Action::PrevNotable]);
    assert_eq!(app.cursor, 7);
    let app = run(&v, &[Action::End, Action::NextNotable]);
    assert_eq!(app.message, "no later failure, retry or yield");
}

#[test]
fn goto_prompt_accepts_numbers_and_end_and_rejects_the_rest() {
    let v = Fake::new(true);
    let mut acts = vec![Action::Goto];
    acts.extend(typed("7"));
    acts.push(Action::Submit);
    assert_eq!(run(&v, &acts).cursor, 7);
    let mut acts = vec![Action::Goto];
    acts.extend(typed("end"));
    acts.push(Action::Submit);
    assert_eq!(run(&v, &acts).cursor, 10);
    let mut acts = vec![Action::Goto];
    acts.extend(typed("99x"));
    acts.push(Action::Backspace);
    acts.push(Action::Submit);
    let app = run(&v, &acts);
    assert_eq!(app.cursor, 0);
    assert!(app.message.contains("no cycle `99`"));
    let app = run(
        &v,
        &[
            Action::Goto,
            Action::Input('3'),
            Action::Cancel,
            Action::Next,
        ],
    );
    assert_eq!(
        (app.cursor, &app.mode),
        (1, &Mode::Normal),
        "Esc cancels, keys navigate again"
    );
}

#[test]
fn search_finds_and_repeats() {
    let v = Fake::new(true);
    let mut acts = vec![Action::Search];
    acts.extend(typed("poke"));
    acts.push(Action::Submit);
    let app = run(&v, &acts);
    assert_eq!(app.cursor, 2);
    acts.extend([Action::Search, Action::Submit]);
    assert_eq!(run(&v, &acts).cursor, 4, "an empty search repeats the last");
}

#[test]
fn mark_cause_and_plot() {
    let v = Fake::new(true);
    let app = run(
        &v,
        &[Action::Next, Action::Next, Action::Mark, Action::Next],
    );
    assert_eq!(app.mark, Some(2));
    let app = run(&v, &[Action::End, Action::Cause, Action::Cause]);
    assert_eq!(app.cursor, 8);
    assert_eq!(app.chain, vec![10, 9]);
    assert_eq!(app.message, "cause chain: 10 <- 9 <- 8");
    let app = run(&v, &[Action::Cause]);
    assert_eq!(app.message, "the initial state has no cause");
    let app = run(&v, &[]);
    assert_eq!(app.plot, Some(0));
    let app = run(&v, &[Action::PlotNext]);
    assert_eq!(app.plot, Some(0), "only D.x is an Int");
}

#[test]
fn breakpoints_go_forward_and_backward_or_explain() {
    let v = Fake::new(true);
    let mut acts = vec![Action::Breakpoint { forward: true }];
    acts.extend(typed("D.x >= 35"));
    acts.push(Action::Submit);
    assert_eq!(run(&v, &acts).cursor, 4);
    let mut acts = vec![Action::End, Action::Breakpoint { forward: false }];
    acts.extend(typed("D.x >= 35"));
    acts.push(Action::Submit);
    assert_eq!(run(&v, &acts).cursor, 9);
    let mut acts = vec![Action::Breakpoint { forward: true }];
    acts.extend(typed("nonsense"));
    acts.push(Action::Submit);
    let app = run(&v, &acts);
    assert_eq!((app.cursor, app.message.as_str()), (0, "error[E002]: bad"));
}

#[test]
fn filter_help_timeline_and_quit() {
    let v = Fake::new(true);
    let mut acts = vec![Action::Filter];
    acts.extend(typed("repair"));
    acts.push(Action::Submit);
    let app = run(&v, &acts);
    assert_eq!(app.filter.as_deref(), Some("repair"));
    assert!(app.shows(&v, 3) && !app.shows(&v, 2));
    let app = run(&v, &[Action::Help]);
    assert_eq!(app.mode, Mode::Help);
    let app = run(&v, &[Action::Help, Action::Next]);
    assert_eq!(
        (app.mode.clone(), app.cursor),
        (Mode::Normal, 0),
        "a key closes the help"
    );
    assert_eq!(run(&v, &[Action::Timeline { x: 40, width: 80 }]).cursor, 5);
    // The list shows rows from the initial state; row 3 is cycle 3.
    assert_eq!(run(&v, &[Action::EventRow { row: 3, height: 8 }]).cursor, 3);
    assert!(run(&v, &[Action::Quit]).quit);
    assert!(run(&v, &[Action::Help, Action::Quit]).quit);
    assert_eq!(Prompt::Goto.label(), "go to cycle (number or `end`)");
}
