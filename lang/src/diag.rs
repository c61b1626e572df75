//! Diagnostics: every problem in a program, each with its place, a caret
//! under the span, and a suggestion where one exists.
//!
//! A [`Diagnostic`] is data (code, message, span, label, help); rendering
//! goes through [`ariadne`] with colours off, so the text is the same on a
//! terminal, in a log and in a snapshot test. Positions are reported as
//! `file:line:col`, lines and columns counted from 1, columns in characters.

use std::fmt;

use ariadne::{Config, IndexType, Label, Report, ReportKind, Source};

use crate::ast::Span;

/// One problem in a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// A stable code (`E001`...), one per kind of problem.
    pub code: &'static str,
    /// What is wrong, in a sentence.
    pub message: String,
    /// Where.
    pub span: Span,
    /// The text under the caret.
    pub label: String,
    /// What to do about it (`did you mean ...?`).
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with no help.
    pub fn new(
        code: &'static str,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: label.into(),
            help: None,
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Every problem found in one program, with the source to show them in.
///
/// `Display` renders them all (ariadne, no colours); [`Self::items`] gives
/// them as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics {
    file: String,
    source: String,
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub(crate) fn new(file: &str, source: &str, mut items: Vec<Diagnostic>) -> Self {
        items.sort_by_key(|d| (d.span.start, d.span.end));
        items.dedup();
        Diagnostics {
            file: file.to_owned(),
            source: source.to_owned(),
            items,
        }
    }

    /// The problems, in source order.
    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    /// The file name used in positions.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// `line:col` (from 1) of a byte offset; columns count characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.source, offset)
    }

    /// One line per problem: `file:line:col: error[code]: message`.
    pub fn short(&self) -> String {
        let mut s = String::new();
        for d in &self.items {
            let (l, c) = self.line_col(d.span.start);
            s.push_str(&format!(
                "{}:{l}:{c}: error[{}]: {}\n",
                self.file, d.code, d.message
            ));
        }
        s
    }
}

/// `line:col` (from 1) of a byte offset in `source`.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl std::error::Error for Diagnostics {}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = Config::default()
            .with_color(false)
            .with_index_type(IndexType::Byte);
        let len = self.source.len();
        for d in &self.items {
            let start = floor_char_boundary(&self.source, d.span.start.min(len));
            let end = floor_char_boundary(&self.source, d.span.end.min(len)).max(start);
            let file = self.file.as_str();
            let mut report = Report::build(ReportKind::Error, (file, start..end))
                .with_config(config)
                .with_code(d.code)
                .with_message(&d.message)
                .with_label(Label::new((file, start..end)).with_message(&d.label));
            if let Some(h) = &d.help {
                report = report.with_help(h);
            }
            let mut out = Vec::new();
            report
                .finish()
                .write((file, Source::from(self.source.as_str())), &mut out)
                .map_err(|_| fmt::Error)?;
            f.write_str(&String::from_utf8_lossy(&out))?;
        }
        let n = self.items.len();
        write!(
            f,
            "{n} error{} in {}",
            if n == 1 { "" } else { "s" },
            self.file
        )
    }
}

/// The nearest of `candidates` to `name`, if one is near enough to be a
/// likely typo.
pub fn suggest<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (name.chars().count() / 3).max(1) + 1;
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| {
            let d = strsim::damerau_levenshtein(&name.to_lowercase(), &c.to_lowercase());
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_suggestions() {
        assert_eq!(line_col("ab\ncdé f", 8), (2, 5));
        assert_eq!(
            suggest("conact", ["concat", "contains"]),
            Some("concat".into())
        );
        assert_eq!(suggest("zzz", ["concat"]), None);
    }
}
