//! String literals: escapes, and `${...}` interpolations parsed by a
//! parser of their own over the substring (spans shifted to the file).

use super::{PResult, Parser};
use crate::ast::*;
use crate::diag::Diagnostic;
use crate::lexer::lex;

impl Parser<'_> {
    /// Splits a string literal's raw text (at `span`, quotes included) into
    /// text and interpolated expressions.
    pub(super) fn string(&mut self, raw: &str, span: Span) -> PResult<Expr> {
        let content_base = span.start + 1;
        let bytes = raw.as_bytes();
        let mut parts = Vec::new();
        let mut exprs = Vec::new();
        let mut cur = String::new();
        let mut i = 0;
        while i < raw.len() {
            let c = bytes[i];
            if c == b'\\' {
                let esc = raw[i + 1..].chars().next();
                let ch = match esc {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('\\') => '\\',
                    Some('"') => '"',
                    Some('$') => '$',
                    other => {
                        let len = 1 + other.map_or(0, char::len_utf8);
                        let at = Span::new(content_base + i, content_base + i + len);
                        return Err(Diagnostic::new(
                            "E017",
                            format!("unknown escape `{}`", &raw[i..i + len]),
                            at,
                            "not an escape",
                        )
                        .with_help(r#"the escapes are \n \t \r \\ \" and \$"#));
                    }
                };
                cur.push(ch);
                i += 1 + esc.map_or(0, char::len_utf8);
            } else if c == b'$' && bytes.get(i + 1) == Some(&b'{') {
                let inner_start = i + 2;
                let inner_end = matching_brace(raw, inner_start).ok_or_else(|| {
                    Diagnostic::new(
                        "E011",
                        "this interpolation is not closed",
                        Span::new(content_base + i, content_base + i + 2),
                        "`${` without `}`",
                    )
                })?;
                let inner = &raw[inner_start..inner_end];
                let base = content_base + inner_start;
                let (toks, bad) = lex(inner);
                if let Some(b) = bad.first() {
                    return Err(Diagnostic::new(
                        "E001",
                        format!("unexpected character `{}`", &inner[b.start..b.end]),
                        Span::new(base + b.start, base + b.end),
                        "not part of the language",
                    ));
                }
                let mut sub = Parser::new(inner, toks, base);
                sub.depth = self.depth;
                if sub.toks.is_empty() {
                    return Err(Diagnostic::new(
                        "E018",
                        "an interpolation needs an expression",
                        Span::new(content_base + i, base + inner.len() + 1),
                        "empty `${}`",
                    ));
                }
                let e = sub.expr()?;
                if sub.pos < sub.toks.len() {
                    return Err(sub.unexpected("`}` closing the interpolation"));
                }
                parts.push(std::mem::take(&mut cur));
                exprs.push(e);
                i = inner_end + 1;
            } else {
                let ch = raw[i..].chars().next().unwrap_or('\u{fffd}');
                cur.push(ch);
                i += ch.len_utf8();
            }
        }
        parts.push(cur);
        if exprs.is_empty() {
            return Ok(Self::lit(
                ExprKind::Str(parts.pop().unwrap_or_default()),
                span,
            ));
        }
        Ok(Self::lit(ExprKind::Interp { parts, exprs }, span))
    }
}

/// The index of the `}` closing an interpolation whose body starts at
/// `from`, skipping strings inside it.
fn matching_brace(raw: &str, from: usize) -> Option<usize> {
    let b = raw.as_bytes();
    let mut depth = 1usize;
    let mut i = from;
    let mut in_str = false;
    while i < b.len() {
        match (in_str, b[i]) {
            (_, b'\\') => i += 1,
            (false, b'"') | (true, b'"') => in_str = !in_str,
            (false, b'{') => depth += 1,
            (false, b'}') => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}
