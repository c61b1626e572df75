//! The parser: tokens to a [`Program`], by recursive descent.
//!
//! Hand-written descent over [`logos`] tokens, rather than a combinator
//! crate, for three reasons: the grammar is small and LL(2) apart from two
//! lookaheads (a lambda's `) =>`, a qualified call's `(`); error recovery is
//! simple and exact (a failed declaration skips to the next line that starts
//! a declaration, so one typo gives one message and every other declaration
//! is still checked); and messages can name what was expected in the
//! language's words.
//!
//! Precedence, lowest first, as in the original's parser: `??` (right
//! associative), `when`, `or`, `and`, `not`, comparisons (not chained),
//! `+ -`, `* /`, postfix (`.field`, `[a, b]`, `{a, b}`), primaries.
//! Nesting is capped at [`MAX_DEPTH`], so no input overflows the stack.

use crate::ast::*;
use crate::diag::{suggest, Diagnostic};
use crate::lexer::{lex, Tok, Token};

/// How deeply expressions may nest before the parser refuses.
pub const MAX_DEPTH: usize = 100;

mod calls;
mod expr;
mod strings;
mod types;

type PResult<T> = Result<T, Diagnostic>;

/// Parses a program; the tree holds every declaration that parsed, the list
/// every problem found.
pub fn parse(source: &str) -> (Program, Vec<Diagnostic>) {
    let (tokens, bad) = lex(source);
    let mut diags: Vec<Diagnostic> = bad
        .into_iter()
        .map(|span| {
            let text = &source[span.start..span.end];
            Diagnostic::new(
                "E001",
                format!("unexpected character `{text}`"),
                span,
                "not part of the language",
            )
        })
        .collect();
    let mut p = Parser::new(source, tokens, 0);
    let program = p.program();
    diags.append(&mut p.diags);
    (program, diags)
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pos: usize,
    diags: Vec<Diagnostic>,
    depth: usize,
    /// Offset added to spans (for interpolations parsed from a substring).
    base: usize,
    /// The token the current declaration starts at.
    decl_start: usize,
}

impl<'s> Parser<'s> {
    fn new(src: &'s str, toks: Vec<Token>, base: usize) -> Self {
        Parser {
            src,
            toks,
            pos: 0,
            diags: Vec::new(),
            depth: 0,
            base,
            decl_start: 0,
        }
    }

    // ---- token access ----

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }

    fn at(&self, t: &Tok) -> bool {
        self.peek() == Some(t)
    }

    fn span(&self) -> Span {
        match self.toks.get(self.pos) {
            Some(t) => self.shift(t.span),
            None => {
                let end = self.base + self.src.len();
                Span::new(end, end)
            }
        }
    }

    fn shift(&self, s: Span) -> Span {
        Span::new(s.start + self.base, s.end + self.base)
    }

    fn prev_span(&self) -> Span {
        match self.pos.checked_sub(1).and_then(|i| self.toks.get(i)) {
            Some(t) => self.shift(t.span),
            None => Span::new(self.base, self.base),
        }
    }

    fn bump(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.tok.clone());
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.at(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn found(&self) -> String {
        match self.peek() {
            Some(t) => t.describe(),
            None => "the end of the file".to_owned(),
        }
    }

    fn unexpected(&self, expected: &str) -> Diagnostic {
        let at_line_start = self.toks.get(self.pos).is_some_and(|t| t.line_start);
        let inside = self.pos > self.decl_start;
        let mut d = if inside && (at_line_start || self.pos >= self.toks.len()) {
            // The line ended early: point at its last token.
            let prev = self.prev_span();
            let what = self.toks[self.pos - 1].tok.describe();
            let found = if self.pos >= self.toks.len() {
                "the end of the file"
            } else {
                "the end of the line"
            };
            Diagnostic::new(
                "E002",
                format!("expected {expected} after {what}, found {found}"),
                prev,
                format!("expected {expected} after this"),
            )
        } else {
            Diagnostic::new(
                "E002",
                format!("expected {expected}, found {}", self.found()),
                self.span(),
                format!("expected {expected} here"),
            )
        };
        match self.peek() {
            Some(Tok::AmpAmp) => d = d.with_help("write `and` for boolean and"),
            Some(Tok::PipePipe) => d = d.with_help("write `or` for boolean or"),
            Some(Tok::Bang) => d = d.with_help("write `not` for boolean negation"),
            _ => {}
        }
        d
    }

    fn expect(&mut self, t: &Tok, what: &str) -> PResult<Span> {
        if self.eat(t) {
            Ok(self.prev_span())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Ident> {
        match self.peek() {
            Some(Tok::Ident(name)) => {
                let name = name.clone();
                self.pos += 1;
                Ok(Ident {
                    name,
                    span: self.prev_span(),
                })
            }
            Some(t) if t.is_keyword() => {
                let kw = t.text();
                Err(Diagnostic::new(
                    "E003",
                    format!("`{kw}` is a keyword and cannot be used as {what}"),
                    self.span(),
                    "keyword",
                )
                .with_help(format!("choose another name, such as `{kw}_`")))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::new(
                "E004",
                format!("expression nested more than {MAX_DEPTH} levels deep"),
                self.span(),
                "too deep",
            )
            .with_help("split the expression into assignments"));
        }
        Ok(())
    }

    // ---- declarations ----

    fn program(&mut self) -> Program {
        let mut decls = Vec::new();
        let mut broken = Vec::new();
        let mut failed = 0;
        while self.pos < self.toks.len() {
            let start = self.pos;
            self.depth = 0;
            self.decl_start = start;
            match self.decl() {
                Ok(d) => {
                    decls.push(d);
                    if let Some(t) = self.toks.get(self.pos) {
                        if !t.line_start {
                            let d = self.unexpected("the end of the declaration (a new line)");
                            self.diags.push(d);
                            self.recover();
                        }
                    }
                }
                Err(d) => {
                    self.diags.push(d);
                    failed += 1;
                    let named = |i: usize| match self.toks.get(i).map(|t| &t.tok) {
                        Some(Tok::Ident(n)) => Some(n.clone()),
                        _ => None,
                    };
                    match self.toks.get(start).map(|t| &t.tok) {
                        Some(Tok::Ident(n)) => broken.push(n.clone()),
                        Some(Tok::In) => broken.extend(named(start + 1)),
                        Some(Tok::At) => {
                            let mut i = start;
                            while i < self.toks.len() && self.toks[i].tok != Tok::In {
                                i += 1;
                            }
                            broken.extend(named(i + 1));
                        }
                        _ => {}
                    }
                    if self.pos == start {
                        self.pos += 1;
                    }
                    self.recover();
                }
            }
        }
        Program {
            decls,
            broken,
            failed,
        }
    }

    /// Skips to the next token that starts a line and can start a
    /// declaration.
    fn recover(&mut self) {
        while let Some(t) = self.toks.get(self.pos) {
            if t.line_start {
                let starts = match &t.tok {
                    Tok::In | Tok::Out | Tok::Type | Tok::Use | Tok::At => true,
                    Tok::Ident(_) => self.peek_at(1) == Some(&Tok::Assign),
                    _ => false,
                };
                if starts {
                    return;
                }
            }
            self.pos += 1;
        }
    }

    fn decl(&mut self) -> PResult<Decl> {
        match self.peek() {
            Some(Tok::Type) => {
                self.pos += 1;
                let name = self.ident("a type name")?;
                self.expect(&Tok::Assign, "`=` after the type name")?;
                let def = self.type_expr()?;
                Ok(Decl::Type { name, def })
            }
            Some(Tok::At) | Some(Tok::In) => self.input_decl(),
            Some(Tok::Out) => {
                self.pos += 1;
                let name = self.ident("the name of an output")?;
                Ok(Decl::Output { name })
            }
            Some(Tok::Use) => {
                self.pos += 1;
                let path = self.qualified_name()?;
                let alias = if self.eat(&Tok::As) {
                    Some(self.ident("an alias after `as`")?)
                } else {
                    None
                };
                Ok(Decl::Use { path, alias })
            }
            Some(Tok::Ident(_)) if self.peek_at(1) == Some(&Tok::Assign) => {
                let name = self.ident("a name")?;
                self.pos += 1;
                let value = self.expr()?;
                Ok(Decl::Assign { name, value })
            }
            Some(Tok::Ident(name)) => {
                let name = name.clone();
                let mut d = self.unexpected("a declaration");
                d.pos_help_for_ident(&name, self.peek_at(1));
                Err(d)
            }
            _ => Err(self
                .unexpected("a declaration (`in`, `out`, `type`, `use`, or `name = expression`)")),
        }
    }

    fn input_decl(&mut self) -> PResult<Decl> {
        let mut examples = Vec::new();
        while self.eat(&Tok::At) {
            let at = self.prev_span();
            let name = self.ident("an annotation name")?;
            match name.name.as_str() {
                "example" => {
                    self.expect(&Tok::LParen, "`(` after `@example`")?;
                    examples.push(self.expr()?);
                    self.expect(&Tok::RParen, "`)` closing `@example(`")?;
                }
                "source" | "sink" => {
                    // Connector hints: parsed and kept out of the plan.
                    self.expect(&Tok::LParen, "`(`")?;
                    self.skip_balanced()?;
                }
                other => {
                    let mut d = Diagnostic::new(
                        "E005",
                        format!("unknown annotation `@{other}`"),
                        at.to(name.span),
                        "not an annotation",
                    );
                    if let Some(s) = suggest(other, ["example", "source", "sink"]) {
                        d = d.with_help(format!("did you mean `@{s}`?"));
                    }
                    return Err(d);
                }
            }
        }
        if self.at(&Tok::Out) && examples.is_empty() {
            return self.decl();
        }
        if self.eat(&Tok::Out) {
            let name = self.ident("the name of an output")?;
            return Ok(Decl::Output { name });
        }
        self.expect(&Tok::In, "`in` after the annotations")?;
        let name = self.ident("the name of an input")?;
        self.expect(&Tok::Colon, "`:` and a type after the input's name")?;
        let ty = self.type_expr()?;
        Ok(Decl::Input { name, ty, examples })
    }

    /// Skips to the `)` matching an already consumed `(`.
    fn skip_balanced(&mut self) -> PResult<()> {
        let mut depth = 1usize;
        while let Some(t) = self.bump() {
            match t {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        Err(self.unexpected("`)`"))
    }

    fn qualified_name(&mut self) -> PResult<QualifiedName> {
        let first = self.ident("a name")?;
        let mut span = first.span;
        let mut parts = vec![first.name];
        while self.at(&Tok::Dot) {
            self.pos += 1;
            let next = self.ident("a name after `.`")?;
            span = span.to(next.span);
            parts.push(next.name);
        }
        Ok(QualifiedName { parts, span })
    }

    // ---- types ----
}

trait IdentHelp {
    fn pos_help_for_ident(&mut self, name: &str, next: Option<&Tok>);
}

impl IdentHelp for Diagnostic {
    /// A line that starts with a bare name: a misspelt keyword, or an
    /// assignment missing its `=`.
    fn pos_help_for_ident(&mut self, name: &str, next: Option<&Tok>) {
        if let Some(k) = suggest(name, ["in", "out", "type", "use"]) {
            if name.len() > 1 {
                self.help = Some(format!("did you mean `{k}`?"));
                return;
            }
        }
        if matches!(
            next,
            Some(Tok::Ident(_)) | Some(Tok::LParen) | Some(Tok::Colon)
        ) || next.is_none()
        {
            self.help = Some(format!(
                "a declaration is `in {name}: Type`, `out {name}` or `{name} = expression`"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> Program {
        let (p, d) = parse(src);
        assert!(d.is_empty(), "{d:?}");
        p
    }

    #[test]
    fn precedence_follows_the_original() {
        let p = ok("x = a ?? b when c or d and not e == 1 + 2 * 3\nout x");
        let Decl::Assign { value, .. } = &p.decls[0] else {
            panic!()
        };
        let ExprKind::Coalesce(_, r) = &value.kind else {
            panic!("{value:?}")
        };
        let ExprKind::When(_, c) = &r.kind else {
            panic!()
        };
        assert!(matches!(c.kind, ExprKind::Binary(BinOp::Or, _, _)));
    }

    #[test]
    fn calls_options_and_interpolation() {
        let p = ok(
            "use stdlib.math as m\nx = m.add(a, b: 2) with retry: 3, timeout: 3s, throttle: 10/1s, lazy, priority: high\ny = \"n=${x + 1}!\"\nout y",
        );
        let Decl::Assign { value, .. } = &p.decls[1] else {
            panic!()
        };
        let ExprKind::Call {
            name,
            args,
            options,
        } = &value.kind
        else {
            panic!()
        };
        assert_eq!(name.full(), "m.add");
        assert_eq!(args[1].name.as_ref().map(|n| n.name.as_str()), Some("b"));
        assert_eq!(options.len(), 5);
        assert!(matches!(options[1].value, OptionValue::Duration(3000, _)));
        assert!(matches!(options[2].value, OptionValue::Rate(10, 1000, _)));
        let Decl::Assign { value, .. } = &p.decls[2] else {
            panic!()
        };
        assert!(matches!(&value.kind, ExprKind::Interp { parts, .. } if parts == &["n=", "!"]));
    }

    #[test]
    fn errors_recover_at_the_next_declaration() {
        // `x`, `z` and `w` fail on their own; `y = 2` and `out y` parse.
        let (p, d) = parse("x = (1 +\ny = 2\nz = @\nw = 1 +\nout y");
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!(p.decls.len(), 2);
        assert_eq!(p.broken, ["x", "z", "w"]);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let src = format!("x = {}1{}\nout x", "(".repeat(10_000), ")".repeat(10_000));
        let (_, d) = parse(&src);
        assert_eq!(d[0].code, "E004");
    }
}
