//! Tokens, cut by a [`logos`] state machine.
//!
//! Two tokens need more than a regular expression. A string literal may
//! hold `${ ... }` interpolations that contain strings themselves, so a
//! callback scans it by hand, counting braces; the parser later splits its
//! text into parts and expressions. A number followed by letters (`3s`,
//! `5min`, `2x`) is one [`Tok::Duration`] token, so that a wrong unit is
//! reported as such rather than as a stray name.
//!
//! Identifiers may contain hyphens between letters or digits
//! (`eq-int`, `ide-ranker-v2`), as in the original; `a - b` with spaces is a
//! subtraction.

use logos::Logos;

use crate::ast::Span;

/// A token.
#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
pub enum Tok {
    /// `type`
    #[token("type")]
    Type,
    /// `in`
    #[token("in")]
    In,
    /// `out`
    #[token("out")]
    Out,
    /// `if`
    #[token("if")]
    If,
    /// `else`
    #[token("else")]
    Else,
    /// `true`
    #[token("true")]
    True,
    /// `false`
    #[token("false")]
    False,
    /// `use`
    #[token("use")]
    Use,
    /// `as`
    #[token("as")]
    As,
    /// `and`
    #[token("and")]
    And,
    /// `or`
    #[token("or")]
    Or,
    /// `not`
    #[token("not")]
    Not,
    /// `when`
    #[token("when")]
    When,
    /// `branch`
    #[token("branch")]
    Branch,
    /// `otherwise`
    #[token("otherwise")]
    Otherwise,
    /// `with`
    #[token("with")]
    With,
    /// `lazy`
    #[token("lazy")]
    Lazy,
    /// `match` (issue #19)
    #[token("match")]
    Match,
    /// `is` (issue #19)
    #[token("is")]
    Is,
    /// A name.
    #[regex(r"[A-Za-z_]([A-Za-z0-9_]|-[A-Za-z0-9_])*", |lex| lex.slice().to_owned())]
    Ident(String),
    /// Digits, kept as text (the parser reports overflow).
    #[regex(r"[0-9]+", |lex| lex.slice().to_owned())]
    Int(String),
    /// `digits.digits`.
    #[regex(r"[0-9]+\.[0-9]+", |lex| lex.slice().to_owned())]
    Float(String),
    /// Digits and a unit (`100ms`, `3s`, `5min`); the unit is checked by the
    /// parser.
    #[regex(r"[0-9]+[A-Za-z]+", |lex| lex.slice().to_owned())]
    Duration(String),
    /// A string literal: its raw text between the quotes, and whether the
    /// closing quote was found.
    #[token("\"", lex_string)]
    Str((String, bool)),
    /// `=`
    #[token("=")]
    Assign,
    /// `==`
    #[token("==")]
    EqEq,
    /// `!=`
    #[token("!=")]
    NotEq,
    /// `<=`
    #[token("<=")]
    LtEq,
    /// `>=`
    #[token(">=")]
    GtEq,
    /// `<`
    #[token("<")]
    Lt,
    /// `>`
    #[token(">")]
    Gt,
    /// `+`
    #[token("+")]
    Plus,
    /// `-`
    #[token("-")]
    Minus,
    /// `*`
    #[token("*")]
    Star,
    /// `/`
    #[token("/")]
    Slash,
    /// `(`
    #[token("(")]
    LParen,
    /// `)`
    #[token(")")]
    RParen,
    /// `[`
    #[token("[")]
    LBracket,
    /// `]`
    #[token("]")]
    RBracket,
    /// `{`
    #[token("{")]
    LBrace,
    /// `}`
    #[token("}")]
    RBrace,
    /// `,`
    #[token(",")]
    Comma,
    /// `:`
    #[token(":")]
    Colon,
    /// `.`
    #[token(".")]
    Dot,
    /// `??`
    #[token("??")]
    Coalesce,
    /// `->`
    #[token("->")]
    Arrow,
    /// `=>`
    #[token("=>")]
    FatArrow,
    /// `|`
    #[token("|")]
    Pipe,
    /// `@`
    #[token("@")]
    At,
    /// `&&` (a common slip for `and`; reported with a suggestion)
    #[token("&&")]
    AmpAmp,
    /// `||` (a common slip for `or`)
    #[token("||")]
    PipePipe,
    /// `!` (a common slip for `not`)
    #[token("!")]
    Bang,
}

impl Tok {
    /// How the token reads in a message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("name `{s}`"),
            Tok::Int(s) | Tok::Float(s) => format!("number `{s}`"),
            Tok::Duration(s) => format!("`{s}`"),
            Tok::Str(_) => "a string".to_owned(),
            other => format!("`{}`", other.text()),
        }
    }

    /// The fixed text of a keyword or punctuation token.
    pub fn text(&self) -> &'static str {
        match self {
            Tok::Type => "type",
            Tok::In => "in",
            Tok::Out => "out",
            Tok::If => "if",
            Tok::Else => "else",
            Tok::True => "true",
            Tok::False => "false",
            Tok::Use => "use",
            Tok::As => "as",
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::When => "when",
            Tok::Branch => "branch",
            Tok::Otherwise => "otherwise",
            Tok::With => "with",
            Tok::Lazy => "lazy",
            Tok::Match => "match",
            Tok::Is => "is",
            Tok::Assign => "=",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::LtEq => "<=",
            Tok::GtEq => ">=",
            Tok::Lt => "<",
            Tok::Gt => ">",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::Comma => ",",
            Tok::Colon => ":",
            Tok::Dot => ".",
            Tok::Coalesce => "??",
            Tok::Arrow => "->",
            Tok::FatArrow => "=>",
            Tok::Pipe => "|",
            Tok::At => "@",
            Tok::AmpAmp => "&&",
            Tok::PipePipe => "||",
            Tok::Bang => "!",
            Tok::Ident(_) | Tok::Int(_) | Tok::Float(_) | Tok::Duration(_) | Tok::Str(_) => "",
        }
    }

    /// Whether this token is a keyword (which cannot be used as a name).
    pub fn is_keyword(&self) -> bool {
        matches!(
            self,
            Tok::Type
                | Tok::In
                | Tok::Out
                | Tok::If
                | Tok::Else
                | Tok::True
                | Tok::False
                | Tok::Use
                | Tok::As
                | Tok::And
                | Tok::Or
                | Tok::Not
                | Tok::When
                | Tok::Branch
                | Tok::Otherwise
                | Tok::With
                | Tok::Lazy
                | Tok::Match
                | Tok::Is
        )
    }
}

/// Scans a string literal after its opening quote: escapes are skipped,
/// `${` opens an interpolation in which braces nest and strings may appear;
/// the literal ends at a quote outside any interpolation.
fn lex_string(lex: &mut logos::Lexer<Tok>) -> (String, bool) {
    let rest = lex.remainder();
    let bytes = rest.as_bytes();
    let mut i = 0;
    // Each entry: brace depth inside one interpolation; `in_str[k]` tells
    // whether we are inside a nested string at level k.
    let mut depth: Vec<usize> = Vec::new();
    let mut in_nested_string = Vec::new();
    while i < bytes.len() {
        let c = bytes[i];
        let in_code = depth.last().is_some() && !in_nested_string.last().copied().unwrap_or(true);
        if !in_code {
            match c {
                b'\\' => i += 2,
                b'"' if depth.is_empty() => {
                    lex.bump(i + 1);
                    return (rest[..i].to_owned(), true);
                }
                b'"' => {
                    // A nested string closes; back to code.
                    in_nested_string.pop();
                    in_nested_string.push(false);
                    i += 1;
                }
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    depth.push(1);
                    in_nested_string.push(false);
                    i += 2;
                }
                _ => i += 1,
            }
        } else {
            match c {
                b'{' => {
                    if let Some(d) = depth.last_mut() {
                        *d += 1;
                    }
                    i += 1;
                }
                b'}' => {
                    let closed = depth.last_mut().map(|d| {
                        *d -= 1;
                        *d == 0
                    });
                    if closed == Some(true) {
                        depth.pop();
                        in_nested_string.pop();
                    }
                    i += 1;
                }
                b'"' => {
                    in_nested_string.pop();
                    in_nested_string.push(true);
                    i += 1;
                }
                b'\n' => break,
                _ => i += 1,
            }
        }
    }
    // Unterminated: stop at the end of the line, so the rest still lexes.
    let end = rest.find('\n').unwrap_or(rest.len()).min(rest.len());
    lex.bump(end);
    (rest[..end].to_owned(), false)
}

/// One token and where it is; `line_start` tells whether a line break
/// precedes it (declarations start lines, which error recovery uses).
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Where.
    pub span: Span,
    /// Whether it is the first token on its line.
    pub line_start: bool,
}

/// Cuts `source` into tokens; characters that start no token come back as
/// spans in the second list.
pub fn lex(source: &str) -> (Vec<Token>, Vec<Span>) {
    let mut tokens = Vec::new();
    let mut bad: Vec<Span> = Vec::new();
    let mut lexer = Tok::lexer(source);
    let mut prev_end = 0;
    while let Some(result) = lexer.next() {
        let r = lexer.span();
        let span = Span::new(r.start, r.end);
        match result {
            Ok(tok) => {
                let line_start = prev_end == 0 || source[prev_end..r.start].contains('\n');
                tokens.push(Token {
                    tok,
                    span,
                    line_start,
                });
            }
            Err(()) => match bad.last_mut() {
                // Join runs of bad characters into one report.
                Some(last) if last.end == span.start => last.end = span.end,
                _ => bad.push(span),
            },
        }
        prev_end = r.end;
    }
    (tokens, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).0.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn names_keywords_numbers_and_durations() {
        assert_eq!(
            toks("inner in eq-int a - b 3s 10/1s 1.5 # comment\n x->y"),
            vec![
                Tok::Ident("inner".into()),
                Tok::In,
                Tok::Ident("eq-int".into()),
                Tok::Ident("a".into()),
                Tok::Minus,
                Tok::Ident("b".into()),
                Tok::Duration("3s".into()),
                Tok::Int("10".into()),
                Tok::Slash,
                Tok::Duration("1s".into()),
                Tok::Float("1.5".into()),
                Tok::Ident("x".into()),
                Tok::Arrow,
                Tok::Ident("y".into()),
            ]
        );
    }

    #[test]
    fn strings_with_nested_interpolations() {
        let (t, bad) = lex(r#"s = "a ${concat("x}", y)} \" b" out"#);
        assert!(bad.is_empty());
        assert_eq!(
            t[2].tok,
            Tok::Str((r#"a ${concat("x}", y)} \" b"#.into(), true))
        );
        assert_eq!(t[3].tok, Tok::Out);
        let (t, _) = lex("\"open\nout x");
        assert_eq!(t[0].tok, Tok::Str(("open".into(), false)));
        assert!(t[1].line_start);
    }
}
