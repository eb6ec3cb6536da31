//! Opens a trace in the debugger's view and times the open, a frame, and the
//! jumps (End, g, o, a breakpoint): `cargo bench --bench debugger -- trace.json`

use std::time::Instant;

use lexum_tui::app::{Action, App};
use lexum_tui::ratatui::{backend::TestBackend, Terminal};
use lexum_tui::ui;

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "/tmp/bank1m.json".to_string());
    let t = Instant::now();
    let bytes = std::fs::read(&path).expect("read the trace");
    let loaded = lexum::trace::load::load(&bytes).expect("a valid trace");
    drop(bytes);
    let view = lexum::debug::DebugView::new(path.clone(), loaded).expect("a consistent trace");
    let open = t.elapsed();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut app = App::new(&view, 0);
    let mut frame = |app: &App| {
        let t = Instant::now();
        terminal.draw(|f| ui::draw(f, app, &view)).unwrap();
        t.elapsed()
    };
    let first = frame(&app);
    let mut jump = |app: &mut App, actions: &[Action]| {
        let t = Instant::now();
        for a in actions {
            app.apply(&view, *a);
        }
        let apply = t.elapsed();
        (apply, frame(app))
    };
    let end = jump(&mut app, &[Action::End]);
    let mut goto = vec![Action::Goto];
    goto.extend("500000".chars().map(Action::Input));
    goto.push(Action::Submit);
    let g = jump(&mut app, &goto);
    let o = jump(&mut app, &[Action::Oscillation]);
    let back = jump(&mut app, &[Action::Home]);
    let mut bp = vec![Action::Breakpoint { forward: true }];
    bp.extend("Bank.alice < 900".chars().map(Action::Input));
    bp.push(Action::Submit);
    let b = jump(&mut app, &bp);
    let hit = app.cursor;
    let mut never = vec![Action::Home, Action::Breakpoint { forward: true }];
    never.extend("Bank.alice < -1".chars().map(Action::Input));
    never.push(Action::Submit);
    let full = jump(&mut app, &never);
    println!("open {open:?}; first frame {first:?}");
    println!(
        "breakpoint that never holds, scanning all {} cycles: {:?}",
        lexum_tui::TraceView::len(&view),
        full.0
    );
    println!("End: apply {:?} + frame {:?}", end.0, end.1);
    println!("g 500000: apply {:?} + frame {:?}", g.0, g.1);
    println!("o: apply {:?} + frame {:?}", o.0, o.1);
    println!("Home: apply {:?} + frame {:?}", back.0, back.1);
    println!(
        "breakpoint `Bank.alice < 900` forward from 0 -> cycle {hit}: {:?} + frame {:?}",
        b.0, b.1
    );
}
