//! Drawing: `draw` renders the app over the run into any ratatui frame. It
//! reads `App` and the view and changes nothing, so a screen is a pure
//! function of the two (tests/screens.rs snapshots them on a TestBackend).

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Sparkline};
use ratatui::Frame;

use crate::app::{App, Mode};
use crate::keys::HELP;
use crate::view::{GoalState, Mark, TraceView};

/// The screen's regions, computed from the frame's size.
pub struct Areas {
    pub header: Rect,
    pub timeline: Rect,
    pub events: Rect,
    pub goals: Rect,
    pub source: Rect,
    pub state: Rect,
    pub mailbox: Rect,
    pub plot: Rect,
    pub status: Rect,
}

pub fn areas(size: Rect) -> Areas {
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Length(2),
            Constraint::Min(6),
            Constraint::Length(1),
        ])
        .split(size);
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(52), Constraint::Percentage(48)])
        .split(rows[2]);
    let left = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Percentage(45),
            Constraint::Percentage(22),
            Constraint::Percentage(33),
        ])
        .split(cols[0]);
    let right = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Percentage(40),
            Constraint::Percentage(32),
            Constraint::Percentage(28),
        ])
        .split(cols[1]);
    Areas {
        header: rows[0],
        timeline: rows[1],
        events: left[0],
        goals: left[1],
        source: left[2],
        state: right[0],
        mailbox: right[1],
        plot: right[2],
        status: rows[3],
    }
}

fn block(title: &str) -> Block<'_> {
    Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" {title} "),
        Style::default().add_modifier(Modifier::BOLD),
    ))
}

pub fn draw(f: &mut Frame, app: &App, view: &dyn TraceView) {
    let a = areas(f.area());
    header(f, a.header, app, view);
    timeline(f, a.timeline, app, view);
    events(f, a.events, app, view);
    goals(f, a.goals, app, view);
    source(f, a.source, app, view);
    state(f, a.state, app, view);
    mailbox(f, a.mailbox, app, view);
    plot(f, a.plot, app, view);
    status(f, a.status, app);
    if app.mode == Mode::Help {
        help(f, f.area());
    }
}

fn header(f: &mut Frame, r: Rect, app: &App, view: &dyn TraceView) {
    let s = view.summary();
    let tick = view.cycle(app.cursor).map(|c| c.tick).unwrap_or(0);
    let outcome = match &s.code {
        Some(c) => format!("{} {c}", s.status),
        None => s.status.clone(),
    };
    let style = if s.code.is_some() {
        Color::Red
    } else {
        Color::Green
    };
    let line = Line::from(vec![
        Span::styled(
            " lexum debug ",
            Style::default().add_modifier(Modifier::REVERSED),
        ),
        Span::raw(format!(
            " {}  cycle {}/{}  tick {tick}  ",
            view.title(),
            app.cursor,
            view.len()
        )),
        Span::styled(
            outcome,
            Style::default().fg(style).add_modifier(Modifier::BOLD),
        ),
    ]);
    f.render_widget(Paragraph::new(line), r);
}

/// The column of the timeline that shows cycle `n`.
fn column(n: usize, len: usize, width: usize) -> usize {
    (n * width.saturating_sub(1)).checked_div(len).unwrap_or(0)
}

fn timeline(f: &mut Frame, r: Rect, app: &App, view: &dyn TraceView) {
    let width = r.width as usize;
    let len = view.len();
    let marks = view.marks();
    let s = view.summary();
    // Per column, the most important mark of the cycles it covers.
    let mut cells: Vec<(char, Color)> = vec![('─', Color::DarkGray); width];
    let rank = |m: Mark| match m {
        Mark::Committed => 0,
        Mark::Quiescent => 1,
        Mark::Retried => 2,
        Mark::Failed => 3,
    };
    let mut best = vec![None::<Mark>; width];
    for (i, m) in marks.iter().enumerate() {
        let c = column(i + 1, len, width);
        if best[c].is_none_or(|b| rank(*m) > rank(b)) {
            best[c] = Some(*m);
        }
    }
    for (c, m) in best.iter().enumerate() {
        cells[c] = match m {
            Some(Mark::Committed) => ('─', Color::Gray),
            Some(Mark::Quiescent) => ('┃', Color::Green),
            Some(Mark::Retried) => ('r', Color::Yellow),
            Some(Mark::Failed) => ('✗', Color::Red),
            None => cells[c],
        };
    }
    for (n, _) in &s.yields {
        cells[column(*n, len, width)] = ('Y', Color::Magenta);
    }
    let mut lower: Vec<(char, Color)> = vec![(' ', Color::Reset); width];
    if let (Some(start), Some(period)) = (s.loop_start, s.loop_period) {
        let (a, b) = (
            column(start, len, width),
            column((start + period).min(len), len, width),
        );
        for cell in lower.iter_mut().take(b + 1).skip(a) {
            *cell = ('~', Color::Yellow);
        }
    }
    let cur = column(app.cursor, len, width);
    lower[cur] = ('▲', Color::Cyan);
    if let Some(m) = app.mark {
        let c = column(m, len, width);
        if c != cur {
            lower[c] = ('m', Color::Blue);
        }
    }
    let to_line = |cells: Vec<(char, Color)>| {
        Line::from(
            cells
                .into_iter()
                .map(|(ch, col)| Span::styled(ch.to_string(), Style::default().fg(col)))
                .collect::<Vec<_>>(),
        )
    };
    f.render_widget(Paragraph::new(vec![to_line(cells), to_line(lower)]), r);
}

/// One row of the event list: cycles `first..=last` with the same event.
pub struct Row {
    pub first: usize,
    pub last: usize,
    pub text: String,
    pub failed: bool,
}

/// The rows around the cursor: identical consecutive events folded into one
/// row with a count; only events passing the filter. At most `height` rows,
/// and a bounded scan, so a jump anywhere in a long run stays one frame.
pub fn rows(app: &App, view: &dyn TraceView, height: usize) -> (Vec<Row>, usize) {
    const SCAN: usize = 20_000;
    let row_of = |n: usize| -> Option<(String, bool)> {
        if n == 0 {
            return Some(("(initial state)".into(), false));
        }
        if !app.shows(view, n) {
            return None;
        }
        view.cycle(n).map(|c| (c.event, c.failed.is_some()))
    };
    let mut before: Vec<Row> = Vec::new();
    let mut n = app.cursor;
    let mut scanned = 0;
    // Backwards from the cursor (the cursor's own row first).
    loop {
        if let Some((text, failed)) = row_of(n) {
            match before.last_mut() {
                Some(r)
                    if r.text == text
                        && r.failed == failed
                        && n != app.cursor
                        && r.first != app.cursor =>
                {
                    r.first = n
                }
                _ => {
                    if before.len() >= height {
                        break;
                    }
                    before.push(Row {
                        first: n,
                        last: n,
                        text,
                        failed,
                    });
                }
            }
        }
        scanned += 1;
        if n == 0 || scanned > SCAN {
            break;
        }
        n -= 1;
    }
    before.reverse();
    let selected = before
        .iter()
        .position(|r| r.first <= app.cursor && app.cursor <= r.last)
        .unwrap_or(0);
    let mut out = before;
    let mut n = app.cursor + 1;
    scanned = 0;
    while n <= view.len() && out.len() < selected + height && scanned < SCAN {
        if let Some((text, failed)) = row_of(n) {
            match out.last_mut() {
                Some(r)
                    if r.text == text
                        && r.failed == failed
                        && r.last + 1 >= n
                        && r.last != app.cursor =>
                {
                    r.last = n
                }
                _ => out.push(Row {
                    first: n,
                    last: n,
                    text,
                    failed,
                }),
            }
        }
        n += 1;
        scanned += 1;
    }
    // A window of `height` rows with the selected one in the middle where possible.
    let skip = selected
        .saturating_sub(height / 2)
        .min(out.len().saturating_sub(height));
    (
        out.into_iter().skip(skip).take(height).collect(),
        selected - skip,
    )
}

fn events(f: &mut Frame, r: Rect, app: &App, view: &dyn TraceView) {
    let height = r.height.saturating_sub(2) as usize;
    let (rows, selected) = rows(app, view, height);
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let count = if row.last > row.first {
                format!(" ×{}", row.last - row.first + 1)
            } else {
                String::new()
            };
            let failed = if row.failed { " ✗" } else { "" };
            let text = format!("{:>6} {}{count}{failed}", row.first, row.text);
            let mut style = Style::default();
            if row.failed {
                style = style.fg(Color::Red);
            }
            if i == selected {
                style = style.add_modifier(Modifier::REVERSED);
            }
            Line::from(Span::styled(text, style))
        })
        .collect();
    let title = match &app.filter {
        Some(fl) => format!("Events [{fl}]"),
        None => "Events".into(),
    };
    f.render_widget(Paragraph::new(lines).block(block(&title)), r);
}

fn goals(f: &mut Frame, r: Rect, app: &App, view: &dyn TraceView) {
    let lines: Vec<Line> = view
        .goals(app.cursor)
        .into_iter()
        .map(|g| {
            let (mark, color) = match g.state {
                GoalState::Holds => ("✔", Color::Green),
                GoalState::False => ("✘", Color::Red),
                GoalState::Yielded => ("⤳", Color::Magenta),
            };
            let what = match g.state {
                GoalState::Yielded => "yielded",
                _ => "",
            };
            Line::from(vec![
                Span::styled(format!("{mark} "), Style::default().fg(color)),
                Span::raw(format!("{} {what} (since {})", g.name, g.since)),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines).block(block("Goals")), r);
}

fn source(f: &mut Frame, r: Rect, app: &App, view: &dyn TraceView) {
    let src = view.source();
    let span = view.cycle(app.cursor).and_then(|c| c.span);
    let height = r.height.saturating_sub(2) as usize;
    let starts: Vec<usize> = std::iter::once(0)
        .chain(src.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |off: usize| starts.partition_point(|s| *s <= off).saturating_sub(1);
    let focus = span.map(|(s, _)| line_of(s)).unwrap_or(0);
    let first = focus.saturating_sub(height / 3);
    let lines: Vec<Line> = src
        .lines()
        .enumerate()
        .skip(first)
        .take(height)
        .map(|(i, text)| {
            let start = starts[i];
            let mut spans = vec![Span::styled(
                format!("{:>3} ", i + 1),
                Style::default().fg(Color::DarkGray),
            )];
            match span {
                Some((a, b)) if a < start + text.len() && b > start => {
                    let lo = a.saturating_sub(start).min(text.len());
                    let hi = (b - start).min(text.len());
                    let (lo, hi) = (floor(text, lo), floor(text, hi));
                    spans.push(Span::raw(text[..lo].to_string()));
                    spans.push(Span::styled(
                        text[lo..hi].to_string(),
                        Style::default().add_modifier(Modifier::REVERSED),
                    ));
                    spans.push(Span::raw(text[hi..].to_string()));
                }
                _ => spans.push(Span::raw(text.to_string())),
            }
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(lines).block(block("Source")), r);
}

fn floor(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn state(f: &mut Frame, r: Rect, app: &App, view: &dyn TraceView) {
    let values = view.state(app.cursor);
    let marked = app.mark.map(|m| view.state(m));
    let written: Vec<usize> = view
        .cycle(app.cursor)
        .map(|c| c.writes.iter().map(|w| w.0).collect())
        .unwrap_or_default();
    let lines: Vec<Line> = view
        .variables()
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(i, (name, v))| {
            let mut spans = vec![Span::raw(format!("{name} = "))];
            let style = if written.contains(&i) {
                Style::default()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            };
            spans.push(Span::styled(v.clone(), style));
            if let Some(old) = marked
                .as_ref()
                .and_then(|m| m.get(i))
                .filter(|old| *old != v)
            {
                spans.push(Span::styled(
                    format!("  (mark: {old})"),
                    Style::default().fg(Color::Cyan),
                ));
            }
            Line::from(spans)
        })
        .collect();
    let title = match app.mark {
        Some(m) => format!("State after cycle {} (vs {m})", app.cursor),
        None => format!("State after cycle {}", app.cursor),
    };
    f.render_widget(Paragraph::new(lines).block(block(&title)), r);
}

fn mailbox(f: &mut Frame, r: Rect, app: &App, view: &dyn TraceView) {
    let q = view.queue(app.cursor);
    let height = r.height.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = q
        .iter()
        .take(height)
        .map(|i| {
            Line::from(format!(
                "[{}] due {} {} (from {})",
                i.priority, i.due, i.event, i.cause
            ))
        })
        .collect();
    if q.len() > height && height > 0 {
        lines.truncate(height - 1);
        lines.push(Line::from(format!("… and {} more", q.len() - (height - 1))));
    }
    f.render_widget(
        Paragraph::new(lines).block(block(&format!("Mailbox ({})", q.len()))),
        r,
    );
}

fn plot(f: &mut Frame, r: Rect, app: &App, view: &dyn TraceView) {
    let Some(var) = app.plot else {
        f.render_widget(Paragraph::new("no Int variable").block(block("Plot")), r);
        return;
    };
    let series = view.series(var);
    let width = r.width.saturating_sub(2) as usize;
    let len = view.len();
    let value_at = |n: usize| -> i64 {
        let i = series.partition_point(|(c, _)| *c <= n);
        series.get(i.saturating_sub(1)).map(|s| s.1).unwrap_or(0)
    };
    let samples: Vec<i64> = (0..width)
        .map(|x| value_at(if width > 1 { x * len / (width - 1) } else { 0 }))
        .collect();
    let lo = samples.iter().copied().min().unwrap_or(0);
    let hi = samples.iter().copied().max().unwrap_or(0);
    let data: Vec<u64> = samples
        .iter()
        .map(|v| (v.saturating_sub(lo)) as u64 + 1)
        .collect();
    let title = format!(
        "{} = {} [{lo}..{hi}]",
        view.variables()[var],
        value_at(app.cursor)
    );
    f.render_widget(
        Sparkline::default()
            .block(block(&title))
            .data(&data)
            .style(Style::default().fg(Color::Cyan)),
        r,
    );
}

fn status(f: &mut Frame, r: Rect, app: &App) {
    let line = match &app.mode {
        Mode::Prompt(kind, input) => Line::from(vec![
            Span::styled(
                format!("{}: ", kind.label()),
                Style::default().fg(Color::Yellow),
            ),
            Span::raw(input.clone()),
            Span::styled("█", Style::default().fg(Color::Yellow)),
        ]),
        _ => Line::from(Span::raw(app.message.clone())),
    };
    f.render_widget(Paragraph::new(line), r);
}

fn help(f: &mut Frame, area: Rect) {
    let h = (HELP.len() as u16 + 2).min(area.height);
    let w = 64.min(area.width);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:>10}  "), Style::default().fg(Color::Yellow)),
                Span::raw(*what),
            ])
        })
        .collect();
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(block("Keys (any key closes)")),
        r,
    );
}
