//! Expressions, by precedence from `??` down to primaries, and `branch`.

use super::{PResult, Parser};
use crate::ast::*;
use crate::diag::Diagnostic;
use crate::lexer::Tok;

impl Parser<'_> {
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let e = crate::with_stack(|| self.coalesce());
        self.depth -= 1;
        e
    }

    pub(super) fn coalesce(&mut self) -> PResult<Expr> {
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

    pub(super) fn guard(&mut self) -> PResult<Expr> {
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
    pub(super) fn link(&mut self, links: &mut usize) -> PResult<()> {
        *links += 1;
        self.enter()
    }

    pub(super) fn binary(op: BinOp, l: Expr, r: Expr) -> Expr {
        let span = l.span.to(r.span);
        Expr {
            kind: ExprKind::Binary(op, Box::new(l), Box::new(r)),
            span,
        }
    }

    pub(super) fn or(&mut self) -> PResult<Expr> {
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

    pub(super) fn and(&mut self) -> PResult<Expr> {
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

    pub(super) fn not(&mut self) -> PResult<Expr> {
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

    pub(super) fn compare_op(&self) -> Option<BinOp> {
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

    pub(super) fn compare(&mut self) -> PResult<Expr> {
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

    pub(super) fn additive(&mut self) -> PResult<Expr> {
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

    pub(super) fn multiplicative(&mut self) -> PResult<Expr> {
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
    pub(super) fn brace_projection_ahead(&self) -> bool {
        matches!(self.peek_at(1), Some(Tok::Ident(_)))
            && matches!(self.peek_at(2), Some(Tok::Comma) | Some(Tok::RBrace))
    }

    pub(super) fn postfix(&mut self) -> PResult<Expr> {
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

    pub(super) fn lit(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    pub(super) fn int_value(&self, text: &str, negative: bool, span: Span) -> PResult<i64> {
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

    pub(super) fn primary(&mut self) -> PResult<Expr> {
        self.primary_inner()
    }

    pub(super) fn primary_inner(&mut self) -> PResult<Expr> {
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
    pub(super) fn declaration_ahead(&self) -> bool {
        self.toks.get(self.pos).is_some_and(|t| t.line_start)
            && self.peek_at(1) == Some(&Tok::Assign)
    }

    /// `(` ... `)` `=>` at the cursor.
    pub(super) fn lambda_ahead(&self) -> bool {
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
    pub(super) fn call_ahead(&self) -> bool {
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

    pub(super) fn branch(&mut self, start: Span) -> PResult<Expr> {
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
}
