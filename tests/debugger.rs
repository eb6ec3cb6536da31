//! The debugger over real traces: screens on ratatui's TestBackend (insta
//! snapshots), and the view's answers (mailbox, goals, breakpoints).

mod support;

use lexum::debug::DebugView;
use lexum::trace::load::load;
use lexum_tui::app::{Action, App};
use lexum_tui::ratatui::{backend::TestBackend, Terminal};
use lexum_tui::ui;
use lexum_tui::view::{GoalState, TraceView};

fn view(name: &str) -> DebugView {
    let bytes = std::fs::read(support::root().join("traces").join(name)).unwrap();
    DebugView::new(name.to_string(), load(&bytes).unwrap()).unwrap()
}

fn screen(view: &DebugView, actions: &[Action]) -> String {
    let mut app = App::new(view, 0);
    for a in actions {
        app.apply(view, *a);
    }
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| ui::draw(f, &app, view)).unwrap();
    terminal.backend().to_string()
}

#[test]
fn e005_trace_opens_and_o_lands_on_the_loop_start() {
    let v = view("autoscaler_e005.json");
    insta::assert_snapshot!("e005_start", screen(&v, &[]));
    let after_o = screen(&v, &[Action::Oscillation]);
    assert!(after_o.contains("cycle 3/6"), "{after_o}");
    insta::assert_snapshot!("e005_after_o", after_o);
}

#[test]
fn yield_trace_at_the_end_with_help() {
    let v = view("priority_conflict.json");
    insta::assert_snapshot!("yield_end", screen(&v, &[Action::End]));
    insta::assert_snapshot!("help", screen(&v, &[Action::End, Action::Help]));
}

#[test]
fn failures_show_in_the_event_list_and_timeline() {
    let v = view("overdraft_e007.json");
    let s = screen(&v, &[Action::NextNotable]);
    insta::assert_snapshot!("e007_failure", s);
}

#[test]
fn the_view_reconstructs_mailbox_goals_and_state() {
    let v = view("priority_conflict.json");
    // After cycle 5 the cost saver's scale(-1) still waits (it was sent at cycle 4).
    let q = v.queue(5);
    assert_eq!(q.len(), 1);
    assert_eq!(
        (q[0].event.as_str(), q[0].cause, q[0].priority.as_str()),
        ("Cluster.scale(-1)", 4, "normal")
    );
    assert_eq!(v.state(5), vec!["5".to_string()]);
    let goals = v.goals(8);
    assert_eq!(goals[0].state, GoalState::Holds);
    assert_eq!((goals[1].state, goals[1].since), (GoalState::Yielded, 7));
    let g2 = v.goals(2);
    assert_eq!(
        (g2[1].state, g2[1].since),
        (GoalState::False, 2),
        "cycle 2 made CostSaver.cheap false"
    );
    assert!(v.queue(8).is_empty());
}

#[test]
fn breakpoints_are_checked_and_evaluated_by_the_language() {
    let v = view("priority_conflict.json");
    assert_eq!(v.find(0, true, "Cluster.nodes >= 5"), Ok(Some(5)));
    assert_eq!(v.find(8, false, "Cluster.nodes == 4"), Ok(Some(7)));
    assert_eq!(v.find(5, true, "Cluster.nodes > 9"), Ok(None));
    let err = v.find(0, true, "Cluster.nodes = 5").unwrap_err();
    assert!(err.contains("E003"), "{err}");
    let err = v.find(0, true, "Cluster.nodez > 1").unwrap_err();
    assert!(err.contains("E002"), "{err}");
}
