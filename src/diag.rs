//! Diagnostics as data. Every phase produces `Diagnostic` values; only
//! `diag::render` turns them into text (ariadne) or JSON.

pub mod render;

use crate::codes::Code;
use crate::syntax::span::Span;

/// A secondary place in the source, with what it has to do with the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found in one source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    /// Where the problem is; the primary label points here.
    pub span: Span,
    /// The primary label's text (what is wrong right here).
    pub label: String,
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
    pub notes: Vec<String>,
    /// Reported as a warning although its code is an error's: the problem
    /// was survived (a snapshot that could not be written, J002, while the
    /// run goes on).
    pub survived: bool,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        let message = message.into();
        Diagnostic {
            code,
            label: String::new(),
            message,
            span,
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
            survived: false,
        }
    }

    /// A diagnostic about no place in a source file (a journal, a trace, a
    /// command): rendered as one line by [`render::render_line`].
    pub fn plain(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Span::from(0..0), message)
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Marks an error the run survived: it is reported as a warning.
    pub fn survived(mut self) -> Self {
        self.survived = true;
        self
    }

    pub fn is_error(&self) -> bool {
        !self.code.is_warning() && !self.survived
    }
}
