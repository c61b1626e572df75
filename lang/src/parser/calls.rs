//! Calls: arguments (positional or named) and `with` clauses (option
//! values: counts, durations, rates, words, strings, `fallback`'s
//! expression).

use super::{PResult, Parser};
use crate::ast::*;
use crate::diag::{suggest, Diagnostic};
use crate::lexer::Tok;

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

impl Parser<'_> {
    pub(super) fn call(&mut self) -> PResult<Expr> {
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

    pub(super) fn with_option(&mut self) -> PResult<WithOption> {
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

    pub(super) fn duration(&self, text: &str, span: Span) -> PResult<i64> {
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

    pub(super) fn option_value(&mut self) -> PResult<OptionValue> {
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
}
