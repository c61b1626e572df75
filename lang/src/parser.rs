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

const OPTION_NAMES: &[&str] = &[
    "retry",
    "timeout",
    "delay",
    "backoff",
    "fallback",
    "cache",
    "cache_backend",
    "throttle",
    "concurrency",
    "on_error",
    "lazy",
    "priority",
    "batch",
    "batch_timeout",
    "window",
    "checkpoint",
    "join",
];

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

    fn type_expr(&mut self) -> PResult<TypeExpr> {
        self.enter()?;
        let first = self.type_merge()?;
        let mut members = vec![first];
        while self.eat(&Tok::Pipe) {
            members.push(self.type_merge()?);
        }
        self.depth -= 1;
        if members.len() == 1 {
            return Ok(members.pop().expect("one member"));
        }
        let span = members[0].span.to(members[members.len() - 1].span);
        Ok(TypeExpr {
            kind: TypeExprKind::Union(members),
            span,
        })
    }

    fn type_merge(&mut self) -> PResult<TypeExpr> {
        let mut left = self.type_primary()?;
        let mut links = 0;
        while self.eat(&Tok::Plus) {
            self.link(&mut links)?;
            let right = self.type_primary()?;
            let span = left.span.to(right.span);
            left = TypeExpr {
                kind: TypeExprKind::Merge(Box::new(left), Box::new(right)),
                span,
            };
        }
        self.depth -= links;
        Ok(left)
    }

    fn type_primary(&mut self) -> PResult<TypeExpr> {
        let start = self.span();
        if self.eat(&Tok::LParen) {
            let t = self.type_expr()?;
            self.expect(&Tok::RParen, "`)`")?;
            return Ok(t);
        }
        if self.eat(&Tok::LBrace) {
            let mut fields = Vec::new();
            while !self.at(&Tok::RBrace) {
                let name = self.ident("a field name")?;
                self.expect(&Tok::Colon, "`:` and the field's type")?;
                let ty = self.type_expr()?;
                fields.push((name, ty));
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
            self.expect(&Tok::RBrace, "`,` or `}` in the record type")?;
            return Ok(TypeExpr {
                kind: TypeExprKind::Record(fields),
                span: start.to(self.prev_span()),
            });
        }
        let name = self.ident("a type")?;
        if self.eat(&Tok::Lt) {
            let mut params = vec![self.type_expr()?];
            while self.eat(&Tok::Comma) {
                params.push(self.type_expr()?);
            }
            self.expect(&Tok::Gt, "`,` or `>` closing the type parameters")?;
            return Ok(TypeExpr {
                kind: TypeExprKind::Param(name.name, params),
                span: start.to(self.prev_span()),
            });
        }
        Ok(TypeExpr {
            kind: TypeExprKind::Named(name.name),
            span: name.span,
        })
    }

    // ---- expressions ----

    fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let e = crate::with_stack(|| self.coalesce());
        self.depth -= 1;
        e
    }

    fn coalesce(&mut self) -> PResult<Expr> {
        let left = self.guard()?;
        if self.eat(&Tok::Coalesce) {
            let right = self.expr()?;
            let span = left.span.to(right.span);
            return Ok(Expr {
                kind: ExprKind::Coalesce(Box::new(left), Box::new(right)),
                span,
            });
        }
        Ok(left)
    }

    fn guard(&mut self) -> PResult<Expr> {
        let e = self.or()?;
        if self.eat(&Tok::When) {
            let c = self.or()?;
            let span = e.span.to(c.span);
            return Ok(Expr {
                kind: ExprKind::When(Box::new(e), Box::new(c)),
                span,
            });
        }
        Ok(e)
    }

    /// Counts one more link of an operator chain toward the depth (the
    /// chain becomes a left-deep tree, which later passes walk
    /// recursively).
    fn link(&mut self, links: &mut usize) -> PResult<()> {
        *links += 1;
        self.enter()
    }

    fn binary(op: BinOp, l: Expr, r: Expr) -> Expr {
        let span = l.span.to(r.span);
        Expr {
            kind: ExprKind::Binary(op, Box::new(l), Box::new(r)),
            span,
        }
    }

    fn or(&mut self) -> PResult<Expr> {
        let mut l = self.and()?;
        let mut links = 0;
        let r = loop {
            if self.eat(&Tok::Or) {
                self.link(&mut links)?;
                let r = self.and()?;
                l = Self::binary(BinOp::Or, l, r);
            } else if self.at(&Tok::PipePipe) {
                break Err(self.unexpected("an operator"));
            } else {
                break Ok(l);
            }
        };
        self.depth -= links;
        r
    }

    fn and(&mut self) -> PResult<Expr> {
        let mut l = self.not()?;
        let mut links = 0;
        let r = loop {
            if self.eat(&Tok::And) {
                self.link(&mut links)?;
                let r = self.not()?;
                l = Self::binary(BinOp::And, l, r);
            } else if self.at(&Tok::AmpAmp) {
                break Err(self.unexpected("an operator"));
            } else {
                break Ok(l);
            }
        };
        self.depth -= links;
        r
    }

    fn not(&mut self) -> PResult<Expr> {
        if self.eat(&Tok::Not) {
            let start = self.prev_span();
            self.enter()?;
            let e = self.not()?;
            self.depth -= 1;
            let span = start.to(e.span);
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(e)),
                span,
            });
        }
        self.compare()
    }

    fn compare_op(&self) -> Option<BinOp> {
        Some(match self.peek()? {
            Tok::EqEq => BinOp::Eq,
            Tok::NotEq => BinOp::NotEq,
            Tok::Lt => BinOp::Lt,
            Tok::Gt => BinOp::Gt,
            Tok::LtEq => BinOp::LtEq,
            Tok::GtEq => BinOp::GtEq,
            _ => return None,
        })
    }

    fn compare(&mut self) -> PResult<Expr> {
        let l = self.additive()?;
        let Some(op) = self.compare_op() else {
            return Ok(l);
        };
        self.pos += 1;
        let r = self.additive()?;
        if self.compare_op().is_some() {
            return Err(Diagnostic::new(
                "E006",
                "comparisons do not chain",
                self.span(),
                "a second comparison",
            )
            .with_help("combine two comparisons with `and`: `a < b and b < c`"));
        }
        Ok(Self::binary(op, l, r))
    }

    fn additive(&mut self) -> PResult<Expr> {
        let mut l = self.multiplicative()?;
        let mut links = 0;
        loop {
            let op = match self.peek() {
                Some(Tok::Plus) => BinOp::Add,
                Some(Tok::Minus) => BinOp::Sub,
                _ => {
                    self.depth -= links;
                    return Ok(l);
                }
            };
            self.pos += 1;
            self.link(&mut links)?;
            let r = self.multiplicative()?;
            l = Self::binary(op, l, r);
        }
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        let mut l = self.postfix()?;
        let mut links = 0;
        loop {
            let op = match self.peek() {
                Some(Tok::Star) => BinOp::Mul,
                Some(Tok::Slash) => BinOp::Div,
                _ => {
                    self.depth -= links;
                    return Ok(l);
                }
            };
            self.pos += 1;
            self.link(&mut links)?;
            let r = self.postfix()?;
            l = Self::binary(op, l, r);
        }
    }

    /// Whether `{` at the cursor opens a brace projection `{a, b}`.
    fn brace_projection_ahead(&self) -> bool {
        matches!(self.peek_at(1), Some(Tok::Ident(_)))
            && matches!(self.peek_at(2), Some(Tok::Comma) | Some(Tok::RBrace))
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.primary()?;
        let mut links = 0;
        loop {
            if matches!(self.peek(), Some(Tok::Dot | Tok::LBracket | Tok::LBrace)) {
                self.link(&mut links)?;
            }
            if self.eat(&Tok::Dot) {
                let field = self.ident("a field name after `.`")?;
                let span = e.span.to(field.span);
                e = Expr {
                    kind: ExprKind::Field(Box::new(e), field),
                    span,
                };
            } else if self.at(&Tok::LBracket)
                || (self.at(&Tok::LBrace) && self.brace_projection_ahead())
            {
                let close = if self.at(&Tok::LBracket) {
                    Tok::RBracket
                } else {
                    Tok::RBrace
                };
                self.pos += 1;
                if matches!(self.peek(), Some(Tok::Int(_))) {
                    return Err(Diagnostic::new(
                        "E007",
                        "lists cannot be indexed; `[...]` after a value projects record fields",
                        self.span(),
                        "an index",
                    )
                    .with_help("write the field names to keep: `record[a, b]`"));
                }
                let mut fields = vec![self.ident("a field name to project")?];
                while self.eat(&Tok::Comma) {
                    fields.push(self.ident("a field name to project")?);
                }
                self.expect(&close, "`,` or the end of the projection")?;
                let span = e.span.to(self.prev_span());
                e = Expr {
                    kind: ExprKind::Project(Box::new(e), fields),
                    span,
                };
            } else {
                self.depth -= links;
                return Ok(e);
            }
        }
    }

    fn lit(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    fn int_value(&self, text: &str, negative: bool, span: Span) -> PResult<i64> {
        let s = if negative {
            format!("-{text}")
        } else {
            text.to_owned()
        };
        s.parse::<i64>().map_err(|_| {
            Diagnostic::new(
                "E008",
                format!("the number `{s}` does not fit in an Int (64 bits)"),
                span,
                "too large",
            )
        })
    }

    fn primary(&mut self) -> PResult<Expr> {
        self.primary_inner()
    }

    fn primary_inner(&mut self) -> PResult<Expr> {
        let start = self.span();
        let Some(tok) = self.peek().cloned() else {
            return Err(self.unexpected("an expression"));
        };
        match tok {
            Tok::Int(text) => {
                self.pos += 1;
                let v = self.int_value(&text, false, start)?;
                Ok(Self::lit(ExprKind::Int(v), start))
            }
            Tok::Float(text) => {
                self.pos += 1;
                Ok(Self::lit(
                    ExprKind::Float(text.parse().unwrap_or(f64::NAN)),
                    start,
                ))
            }
            Tok::Minus => {
                self.pos += 1;
                match self.peek().cloned() {
                    Some(Tok::Int(text)) => {
                        self.pos += 1;
                        let span = start.to(self.prev_span());
                        let v = self.int_value(&text, true, span)?;
                        Ok(Self::lit(ExprKind::Int(v), span))
                    }
                    Some(Tok::Float(text)) => {
                        self.pos += 1;
                        let v: f64 = text.parse().unwrap_or(f64::NAN);
                        Ok(Self::lit(ExprKind::Float(-v), start.to(self.prev_span())))
                    }
                    _ => Err(Diagnostic::new(
                        "E009",
                        "`-` before a value applies only to number literals",
                        start,
                        "unary minus",
                    )
                    .with_help("write `negate(x)` or `0 - x`")),
                }
            }
            Tok::Duration(text) => Err(Diagnostic::new(
                "E010",
                format!("`{text}` is not a value"),
                start,
                "a number with a unit",
            )
            .with_help(
                "durations (`100ms`, `3s`, `5min`, `1h`, `1d`) are written only in `with` options",
            )),
            Tok::Str((raw, closed)) => {
                self.pos += 1;
                if !closed {
                    return Err(Diagnostic::new(
                        "E011",
                        "this string is not closed",
                        start,
                        "the string starts here",
                    )
                    .with_help("add a `\"` at the end of the string (strings fit on one line)"));
                }
                self.string(&raw, start)
            }
            Tok::True | Tok::False => {
                self.pos += 1;
                Ok(Self::lit(ExprKind::Bool(tok == Tok::True), start))
            }
            Tok::LParen => {
                if self.lambda_ahead() {
                    return Err(Diagnostic::new(
                        "E012",
                        "lambdas are not supported yet",
                        start,
                        "a lambda",
                    )
                    .with_help("lambdas and higher-order functions are issue #19"));
                }
                self.pos += 1;
                let e = self.expr()?;
                self.expect(&Tok::RParen, "`)`")?;
                Ok(Expr {
                    kind: e.kind,
                    span: start.to(self.prev_span()),
                })
            }
            Tok::LBracket => {
                self.pos += 1;
                let mut items = Vec::new();
                while !self.at(&Tok::RBracket) {
                    items.push(self.expr()?);
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
                self.expect(&Tok::RBracket, "`,` or `]` in the list")?;
                Ok(Self::lit(ExprKind::List(items), start.to(self.prev_span())))
            }
            Tok::LBrace => {
                self.pos += 1;
                let mut fields = Vec::new();
                while !self.at(&Tok::RBrace) {
                    let name = self.ident("a field name")?;
                    self.expect(&Tok::Colon, "`:` and the field's value")?;
                    fields.push((name, self.expr()?));
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
                self.expect(&Tok::RBrace, "`,` or `}` in the record")?;
                Ok(Self::lit(
                    ExprKind::Record(fields),
                    start.to(self.prev_span()),
                ))
            }
            Tok::If => {
                self.pos += 1;
                self.expect(&Tok::LParen, "`(` and a condition after `if`")?;
                let c = self.expr()?;
                self.expect(&Tok::RParen, "`)` closing the condition")?;
                let t = self.expr()?;
                self.expect(&Tok::Else, "`else` (an `if` needs both branches)")?;
                let e = self.expr()?;
                let span = start.to(e.span);
                Ok(Expr {
                    kind: ExprKind::If(Box::new(c), Box::new(t), Box::new(e)),
                    span,
                })
            }
            Tok::Branch => self.branch(start),
            Tok::Match => Err(Diagnostic::new(
                "E012",
                "`match` expressions are not supported yet",
                start,
                "a match",
            )
            .with_help("`match` is issue #19; use `branch { ... }` or `if` for now")),
            Tok::Ident(_) if self.declaration_ahead() => {
                // `name =` at the start of a line begins the next
                // declaration: the expression before it is unfinished.
                Err(self.unexpected("an expression before the next declaration"))
            }
            Tok::Ident(_) => {
                if self.call_ahead() {
                    return self.call();
                }
                let name = self.ident("a name")?;
                Ok(Self::lit(ExprKind::Var(name.name), name.span))
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// `name =` at the start of a line, at the cursor.
    fn declaration_ahead(&self) -> bool {
        self.toks.get(self.pos).is_some_and(|t| t.line_start)
            && self.peek_at(1) == Some(&Tok::Assign)
    }

    /// `(` ... `)` `=>` at the cursor.
    fn lambda_ahead(&self) -> bool {
        let mut depth = 0usize;
        let mut i = self.pos;
        while let Some(t) = self.toks.get(i) {
            match t.tok {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return matches!(self.toks.get(i + 1).map(|t| &t.tok), Some(Tok::FatArrow));
                    }
                }
                _ => {}
            }
            i += 1;
        }
        false
    }

    /// `name(.name)* (` at the cursor.
    fn call_ahead(&self) -> bool {
        let mut i = self.pos + 1;
        loop {
            match self.toks.get(i).map(|t| &t.tok) {
                Some(Tok::LParen) => return true,
                Some(Tok::Dot)
                    if matches!(self.toks.get(i + 1).map(|t| &t.tok), Some(Tok::Ident(_))) =>
                {
                    i += 2
                }
                _ => return false,
            }
        }
    }

    fn call(&mut self) -> PResult<Expr> {
        let name = self.qualified_name()?;
        self.expect(&Tok::LParen, "`(`")?;
        let mut args = Vec::new();
        while !self.at(&Tok::RParen) {
            let named =
                matches!(self.peek(), Some(Tok::Ident(_))) && self.peek_at(1) == Some(&Tok::Colon);
            let arg_name = if named {
                let n = self.ident("a parameter name")?;
                self.pos += 1;
                Some(n)
            } else {
                None
            };
            args.push(Arg {
                name: arg_name,
                value: self.expr()?,
            });
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(&Tok::RParen, "`,` or `)` in the arguments")?;
        let mut span = name.span.to(self.prev_span());
        let mut options = Vec::new();
        if self.eat(&Tok::With) {
            loop {
                let opt = self.with_option()?;
                span = span.to(opt.span);
                options.push(opt);
                let more = self.at(&Tok::Comma)
                    && match self.peek_at(1) {
                        Some(Tok::Lazy) => true,
                        Some(Tok::Ident(_)) => self.peek_at(2) == Some(&Tok::Colon),
                        _ => false,
                    };
                if !more {
                    break;
                }
                self.pos += 1;
            }
        }
        Ok(Expr {
            kind: ExprKind::Call {
                name,
                args,
                options,
            },
            span,
        })
    }

    fn with_option(&mut self) -> PResult<WithOption> {
        let name = if self.eat(&Tok::Lazy) {
            Ident {
                name: "lazy".into(),
                span: self.prev_span(),
            }
        } else {
            self.ident("an option name after `with`")?
        };
        if !OPTION_NAMES.contains(&name.name.as_str()) {
            let mut d = Diagnostic::new(
                "E013",
                format!("unknown option `{}`", name.name),
                name.span,
                "not a module call option",
            );
            d = match suggest(&name.name, OPTION_NAMES.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("the options are {}", OPTION_NAMES.join(", "))),
            };
            return Err(d);
        }
        if !self.eat(&Tok::Colon) {
            return Ok(WithOption {
                span: name.span,
                name,
                value: OptionValue::Flag,
            });
        }
        let value = if name.name == "fallback" {
            OptionValue::Expr(self.expr()?)
        } else {
            self.option_value()?
        };
        let span = name.span.to(self.prev_span());
        Ok(WithOption { name, value, span })
    }

    fn duration(&self, text: &str, span: Span) -> PResult<i64> {
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, unit) = text.split_at(digits_end);
        let scale = match unit {
            "ms" => 1,
            "s" => 1_000,
            "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => {
                let mut d = Diagnostic::new(
                    "E014",
                    format!("unknown duration unit `{unit}`"),
                    span,
                    "not a unit",
                );
                d = match suggest(unit, ["ms", "s", "min", "h", "d"]) {
                    Some(s) => d.with_help(format!(
                        "did you mean `{digits}{s}`? (units: ms, s, min, h, d)"
                    )),
                    None => d.with_help("units are ms, s, min, h and d"),
                };
                return Err(d);
            }
        };
        digits
            .parse::<i64>()
            .ok()
            .and_then(|v| v.checked_mul(scale))
            .ok_or_else(|| {
                Diagnostic::new(
                    "E008",
                    format!("the duration `{text}` is too long"),
                    span,
                    "too long",
                )
            })
    }

    fn option_value(&mut self) -> PResult<OptionValue> {
        let start = self.span();
        match self.peek().cloned() {
            Some(Tok::Int(text)) => {
                self.pos += 1;
                let n = self.int_value(&text, false, start)?;
                if self.eat(&Tok::Slash) {
                    let per_span = self.span();
                    return match self.bump() {
                        Some(Tok::Duration(d)) => {
                            let per = self.duration(&d, per_span)?;
                            Ok(OptionValue::Rate(n, per, start.to(per_span)))
                        }
                        _ => Err(Diagnostic::new(
                            "E015",
                            "a rate is a count per duration",
                            per_span,
                            "expected a duration",
                        )
                        .with_help("write it as `10/1s` or `100/1min`")),
                    };
                }
                Ok(OptionValue::Int(n, start))
            }
            Some(Tok::Minus) => {
                self.pos += 1;
                match self.bump() {
                    Some(Tok::Int(text)) => {
                        let span = start.to(self.prev_span());
                        Ok(OptionValue::Int(self.int_value(&text, true, span)?, span))
                    }
                    _ => Err(self.unexpected("a number")),
                }
            }
            Some(Tok::Duration(text)) => {
                self.pos += 1;
                Ok(OptionValue::Duration(self.duration(&text, start)?, start))
            }
            Some(Tok::Str((raw, true))) => {
                self.pos += 1;
                Ok(OptionValue::Str(raw, start))
            }
            Some(Tok::True) | Some(Tok::False) => {
                let word = self.bump().map(|t| t.text()).unwrap_or_default();
                Ok(OptionValue::Word(Ident {
                    name: word.to_owned(),
                    span: start,
                }))
            }
            Some(Tok::Ident(word)) => {
                self.pos += 1;
                if self.eat(&Tok::LParen) {
                    // `tumbling(5s)`, `buffer(5s)`: streaming specs, kept as text.
                    self.skip_balanced()?;
                    let span = start.to(self.prev_span());
                    return Ok(OptionValue::Str(
                        self.src[span.start - self.base..span.end - self.base].to_owned(),
                        span,
                    ));
                }
                Ok(OptionValue::Word(Ident {
                    name: word,
                    span: start,
                }))
            }
            _ => Err(self.unexpected("the option's value")),
        }
    }

    fn branch(&mut self, start: Span) -> PResult<Expr> {
        self.pos += 1;
        self.expect(&Tok::LBrace, "`{` after `branch`")?;
        let mut cases = Vec::new();
        let mut otherwise = None;
        while !self.at(&Tok::RBrace) && self.peek().is_some() {
            if self.eat(&Tok::Otherwise) {
                let kw = self.prev_span();
                self.expect(&Tok::Arrow, "`->` after `otherwise`")?;
                let e = self.expr()?;
                if otherwise.is_some() {
                    return Err(Diagnostic::new(
                        "E016",
                        "a branch has one `otherwise`",
                        kw,
                        "a second `otherwise`",
                    ));
                }
                otherwise = Some(e);
            } else {
                if let Some(o) = &otherwise {
                    return Err(Diagnostic::new(
                        "E016",
                        "the `otherwise` case must come last in a branch",
                        o.span,
                        "cases follow this one",
                    )
                    .with_help("move `otherwise -> ...` to the end"));
                }
                let c = self.expr()?;
                self.expect(&Tok::Arrow, "`->` after the branch condition")?;
                let e = self.expr()?;
                cases.push((c, e));
            }
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(&Tok::RBrace, "`,` or `}` in the branch")?;
        let span = start.to(self.prev_span());
        let Some(otherwise) = otherwise else {
            return Err(Diagnostic::new(
                "E016",
                "a branch needs an `otherwise` case",
                span,
                "no `otherwise`",
            )
            .with_help("add `otherwise -> value` as the last case"));
        };
        Ok(Expr {
            kind: ExprKind::Branch {
                cases,
                otherwise: Box::new(otherwise),
            },
            span,
        })
    }

    /// Splits a string literal's raw text (at `span`, quotes included) into
    /// text and interpolated expressions.
    fn string(&mut self, raw: &str, span: Span) -> PResult<Expr> {
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
