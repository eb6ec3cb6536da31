//! Running the debugger in a real terminal: raw mode, the alternate screen and
//! mouse capture on entry; all three undone on exit, on error and on panic.

use std::io::{self, Stdout};

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::Terminal;

use crate::app::App;
use crate::view::TraceView;
use crate::{keys, ui};

fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), DisableMouseCapture, LeaveAlternateScreen);
}

/// Restores the terminal when dropped, which covers errors and unwinding.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Opens the debugger at cycle `start` and returns when the user quits.
pub fn run(view: &dyn TraceView, start: usize) -> io::Result<()> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    enable_raw_mode()?;
    let _guard = Guard;
    // Clearing through crossterm, not `Terminal::clear`, which would ask the
    // terminal for the cursor position (and hang on a terminal that never answers).
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        Clear(ClearType::All)
    )?;
    let mut terminal: Terminal<CrosstermBackend<Stdout>> =
        Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let mut app = App::new(view, start);
    while !app.quit {
        terminal.draw(|f| ui::draw(f, &app, view))?;
        let ev = event::read()?;
        let size = terminal.size()?;
        let areas = ui::areas(ratatui::layout::Rect::new(0, 0, size.width, size.height));
        if let Some(action) = keys::action(&app, &ev, &areas) {
            app.apply(view, action);
        }
    }
    Ok(())
}
