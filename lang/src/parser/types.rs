//! Type expressions: unions (`|`) over merges (`+`) over record types,
//! parameterised types (`List<Int>`) and names.

use super::{PResult, Parser};
use crate::ast::*;
use crate::lexer::Tok;

impl Parser<'_> {
    pub(super) fn type_expr(&mut self) -> PResult<TypeExpr> {
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

    pub(super) fn type_merge(&mut self) -> PResult<TypeExpr> {
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

    pub(super) fn type_primary(&mut self) -> PResult<TypeExpr> {
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
}
