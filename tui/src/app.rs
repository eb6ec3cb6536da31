//! The debugger's navigation: a pure state machine. `App::apply` takes an
//! [`Action`] and the run, and changes only `App`; drawing reads it. Tested
//! without a terminal (tests/navigation.rs).

use crate::view::{Mark, TraceView};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    Goto,
    Search,
    Breakpoint { forward: bool },
    Filter,
}

impl Prompt {
    pub fn label(self) -> &'static str {
        match self {
            Prompt::Goto => "go to cycle (number or `end`)",
            Prompt::Search => "search events",
            Prompt::Breakpoint { forward: true } => "break forward when (Lexum condition)",
            Prompt::Breakpoint { forward: false } => "break backward when (Lexum condition)",
            Prompt::Filter => "filter events by domain, handler or kind (empty: all)",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Prompt(Prompt, String),
    Help,
}

/// Everything a key or a click can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Next,
    Prev,
    PageDown,
    PageUp,
    Home,
    End,
    Goto,
    Oscillation,
    NextNotable,
    PrevNotable,
    Search,
    Mark,
    Cause,
    Breakpoint {
        forward: bool,
    },
    PlotNext,
    Filter,
    Help,
    Quit,
    Input(char),
    Backspace,
    Submit,
    Cancel,
    /// A click on the timeline at column `x` of `width`.
    Timeline {
        x: u16,
        width: u16,
    },
    /// Mouse wheel over a list: lines.
    Scroll(i32),
    /// A click on row `row` of the event list, which shows `height` rows.
    EventRow {
        row: usize,
        height: usize,
    },
}

/// Cycles a PgUp/PgDn moves.
pub const PAGE: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    /// The cycle shown (0: the initial state).
    pub cursor: usize,
    pub mode: Mode,
    /// The marked cycle the state is diffed against.
    pub mark: Option<usize>,
    /// A one-line message for the status bar.
    pub message: String,
    /// The plotted variable.
    pub plot: Option<usize>,
    pub filter: Option<String>,
    pub last_search: Option<String>,
    /// The causal chain followed with `c`, most recent last.
    pub chain: Vec<usize>,
    pub quit: bool,
}

impl App {
    pub fn new(view: &dyn TraceView, start: usize) -> App {
        let plot = (0..view.variables().len()).find(|v| !view.series(*v).is_empty());
        App {
            cursor: start.min(view.len()),
            mode: Mode::Normal,
            mark: None,
            message: String::from("? for help, q to quit"),
            plot,
            filter: None,
            last_search: None,
            chain: Vec::new(),
            quit: false,
        }
    }

    fn go(&mut self, view: &dyn TraceView, n: usize) {
        self.cursor = n.min(view.len());
    }

    /// Cycles worth stopping at with `n`/`N`: failures, retries and yields.
    fn notable(view: &dyn TraceView, n: usize) -> bool {
        matches!(
            view.marks().get(n.wrapping_sub(1)),
            Some(Mark::Failed | Mark::Retried)
        ) || view.summary().yields.iter().any(|(c, _)| *c == n)
    }

    pub fn apply(&mut self, view: &dyn TraceView, action: Action) {
        if let Mode::Prompt(kind, input) = &mut self.mode {
            match action {
                Action::Input(c) => input.push(c),
                Action::Backspace => {
                    input.pop();
                }
                Action::Cancel => self.mode = Mode::Normal,
                Action::Submit => {
                    let (kind, input) = (*kind, input.trim().to_string());
                    self.mode = Mode::Normal;
                    self.submit(view, kind, input);
                }
                _ => {}
            }
            return;
        }
        if self.mode == Mode::Help {
            // Any key closes the help; `q` quits as everywhere.
            self.mode = Mode::Normal;
            if action == Action::Quit {
                self.quit = true;
            }
            return;
        }
        let len = view.len();
        match action {
            Action::Next => self.go(view, self.cursor + 1),
            Action::Prev => self.go(view, self.cursor.saturating_sub(1)),
            Action::PageDown => self.go(view, self.cursor + PAGE),
            Action::PageUp => self.go(view, self.cursor.saturating_sub(PAGE)),
            Action::Home => self.go(view, 0),
            Action::End => self.go(view, len),
            Action::Scroll(d) => {
                let n = if d < 0 {
                    self.cursor.saturating_sub(d.unsigned_abs() as usize)
                } else {
                    self.cursor + d as usize
                };
                self.go(view, n);
            }
            Action::Timeline { x, width } => {
                let w = width.max(1) as usize;
                self.go(view, (x as usize * len + w / 2) / w);
            }
            Action::EventRow { row, height } => {
                let (rows, _) = crate::ui::rows(self, view, height);
                if let Some(r) = rows.get(row) {
                    self.go(view, r.first);
                }
            }
            Action::Oscillation => match view.summary().loop_start {
                Some(s) => {
                    self.go(view, s);
                    self.message = format!(
                        "the oscillation begins at cycle {s} (period {})",
                        view.summary().loop_period.unwrap_or(0)
                    );
                }
                None => self.message = "this run has no oscillation".into(),
            },
            Action::NextNotable => {
                match (self.cursor + 1..=len).find(|n| Self::notable(view, *n)) {
                    Some(n) => self.go(view, n),
                    None => self.message = "no later failure, retry or yield".into(),
                }
            }
            Action::PrevNotable => match (1..self.cursor).rev().find(|n| Self::notable(view, *n)) {
                Some(n) => self.go(view, n),
                None => self.message = "no earlier failure, retry or yield".into(),
            },
            Action::Mark => {
                if self.mark == Some(self.cursor) {
                    self.mark = None;
                    self.message = "mark cleared".into();
                } else {
                    self.mark = Some(self.cursor);
                    self.message = format!(
                        "marked cycle {}: the state shows changes since it",
                        self.cursor
                    );
                }
            }
            Action::Cause => match view.cycle(self.cursor).and_then(|c| c.cause) {
                Some(c) if c > 0 => {
                    self.chain.push(self.cursor);
                    self.go(view, c);
                    let chain: Vec<String> = self.chain.iter().map(|n| n.to_string()).collect();
                    self.message = format!("cause chain: {} <- {c}", chain.join(" <- "));
                }
                _ => {
                    self.message = if self.cursor == 0 {
                        "the initial state has no cause".into()
                    } else {
                        format!("cycle {}'s event was enqueued at the start", self.cursor)
                    }
                }
            },
            Action::PlotNext => {
                let vars = view.variables().len();
                let start = self.plot.map(|p| p + 1).unwrap_or(0);
                match (0..vars)
                    .map(|i| (start + i) % vars.max(1))
                    .find(|v| !view.series(*v).is_empty())
                {
                    Some(v) => {
                        self.plot = Some(v);
                        self.message = format!("plotting {}", view.variables()[v]);
                    }
                    None => self.message = "no Int variable to plot".into(),
                }
            }
            Action::Goto => self.mode = Mode::Prompt(Prompt::Goto, String::new()),
            Action::Search => self.mode = Mode::Prompt(Prompt::Search, String::new()),
            Action::Filter => {
                self.mode = Mode::Prompt(Prompt::Filter, self.filter.clone().unwrap_or_default())
            }
            Action::Breakpoint { forward } => {
                self.mode = Mode::Prompt(Prompt::Breakpoint { forward }, String::new())
            }
            Action::Help => self.mode = Mode::Help,
            Action::Quit => self.quit = true,
            Action::Input(_) | Action::Backspace | Action::Submit | Action::Cancel => {}
        }
    }

    fn submit(&mut self, view: &dyn TraceView, kind: Prompt, input: String) {
        match kind {
            Prompt::Goto => {
                let n = if input == "end" {
                    Some(view.len())
                } else {
                    input.parse::<usize>().ok()
                };
                match n {
                    Some(n) if n <= view.len() => self.go(view, n),
                    _ => {
                        self.message = format!("no cycle `{input}`: cycles are 0 to {}", view.len())
                    }
                }
            }
            Prompt::Search => {
                let needle = if input.is_empty() {
                    self.last_search.clone().unwrap_or_default()
                } else {
                    input
                };
                if needle.is_empty() {
                    return;
                }
                self.last_search = Some(needle.clone());
                let hit = (self.cursor + 1..=view.len())
                    .chain(1..=self.cursor)
                    .find(|n| view.cycle(*n).is_some_and(|c| c.event.contains(&needle)));
                match hit {
                    Some(n) => {
                        self.go(view, n);
                        self.message = format!("`{needle}` at cycle {n}");
                    }
                    None => self.message = format!("no event matches `{needle}`"),
                }
            }
            Prompt::Filter => {
                self.filter = if input.is_empty() {
                    None
                } else {
                    Some(input.clone())
                };
                self.message = match &self.filter {
                    Some(f) => format!("showing events matching `{f}`"),
                    None => "showing every event".into(),
                };
            }
            Prompt::Breakpoint { forward } => match view.find(self.cursor, forward, &input) {
                Ok(Some(n)) => {
                    self.go(view, n);
                    self.message = format!("`{input}` holds at cycle {n}");
                }
                Ok(None) => {
                    self.message = format!(
                        "`{input}` holds at no {} cycle",
                        if forward { "later" } else { "earlier" }
                    )
                }
                Err(e) => self.message = e,
            },
        }
    }

    /// Whether cycle `n`'s event passes the filter (domain, handler, kind or text).
    pub fn shows(&self, view: &dyn TraceView, n: usize) -> bool {
        let Some(f) = &self.filter else { return true };
        view.cycle(n).is_some_and(|c| {
            c.domain == *f
                || c.name == *f
                || c.event.contains(f.as_str())
                || (f == "repair" && c.kind == Some(crate::view::Kind::Repair))
                || (f == "message" && c.kind == Some(crate::view::Kind::Message))
                || (f == "failed" && c.failed.is_some())
        })
    }
}
