//! Keys and mouse events to actions. Which action a key means depends only on
//! whether a prompt is open.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
};

use crate::app::{Action, App, Mode};

/// The help screen's lines: every key.
pub const HELP: &[(&str, &str)] = &[
    ("← →", "one cycle back / forward"),
    ("PgUp PgDn", "a hundred cycles"),
    ("Home End", "the initial state / the last cycle"),
    ("g", "go to a cycle"),
    ("o", "jump to where the oscillation begins"),
    ("n N", "next / previous failure, retry or yield"),
    ("/", "search events (Enter on empty repeats)"),
    ("m", "mark this cycle; the state shows changes since it"),
    ("c", "follow this event's cause back one step"),
    ("b B", "breakpoint forward / backward on a Lexum condition"),
    ("p", "plot the next Int variable"),
    (
        "f",
        "filter events (domain, handler, repair, message, failed)",
    ),
    ("?", "this help"),
    ("q", "quit"),
    ("mouse", "click the timeline or an event; scroll to move"),
];

/// Maps a terminal event to an action, given the app's mode and the screen's
/// areas (for clicks on the timeline and the event list).
pub fn action(app: &App, event: &Event, areas: &crate::ui::Areas) -> Option<Action> {
    let timeline = areas.timeline;
    let events = areas.events;
    match event {
        Event::Key(k) if k.kind != KeyEventKind::Release => key(app, k),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Down(_) if m.row == timeline.y || m.row == timeline.y + 1 => {
                let x = m.column.checked_sub(timeline.x)?;
                (x < timeline.width).then_some(Action::Timeline {
                    x,
                    width: timeline.width,
                })
            }
            MouseEventKind::Down(_)
                if m.row > events.y
                    && m.row + 1 < events.y + events.height
                    && m.column >= events.x
                    && m.column < events.x + events.width =>
            {
                Some(Action::EventRow {
                    row: (m.row - events.y - 1) as usize,
                    height: events.height.saturating_sub(2) as usize,
                })
            }
            MouseEventKind::ScrollDown => Some(Action::Scroll(1)),
            MouseEventKind::ScrollUp => Some(Action::Scroll(-1)),
            _ => None,
        },
        _ => None,
    }
}

fn key(app: &App, k: &KeyEvent) -> Option<Action> {
    if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if let Mode::Prompt(..) = app.mode {
        return match k.code {
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Esc => Some(Action::Cancel),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Char(c) => Some(Action::Input(c)),
            _ => None,
        };
    }
    Some(match k.code {
        KeyCode::Right | KeyCode::Char('l') => Action::Next,
        KeyCode::Left | KeyCode::Char('h') => Action::Prev,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Home => Action::Home,
        KeyCode::End => Action::End,
        KeyCode::Down => Action::Scroll(1),
        KeyCode::Up => Action::Scroll(-1),
        KeyCode::Char('g') => Action::Goto,
        KeyCode::Char('o') => Action::Oscillation,
        KeyCode::Char('n') => Action::NextNotable,
        KeyCode::Char('N') => Action::PrevNotable,
        KeyCode::Char('/') => Action::Search,
        KeyCode::Char('m') => Action::Mark,
        KeyCode::Char('c') => Action::Cause,
        KeyCode::Char('b') => Action::Breakpoint { forward: true },
        KeyCode::Char('B') => Action::Breakpoint { forward: false },
        KeyCode::Char('p') => Action::PlotNext,
        KeyCode::Char('f') => Action::Filter,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') | KeyCode::Esc => Action::Quit,
        _ => return None,
    })
}
