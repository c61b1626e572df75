//! The standard modules, with the original's names and ports.
//!
//! Numbers follow the JVM, as the original's Scala does: integer arithmetic
//! wraps on overflow (`Long.MaxValue + 1` is `Long.MinValue`), division and
//! modulo truncate towards zero (`-7 / 2 = -3`, `-7 % 2 = -1`) and report
//! division by zero as a module error, `round` is `Math.round` (halves up:
//! `-2.5` -> `-2`), `to-int` truncates and saturates. Strings count UTF-16
//! units (`string-length`), `trim` strips characters up to U+0020, `split`
//! keeps trailing empty parts, as Java's do. List modules on an empty list
//! report an error where there is no answer. `stdlib.log` writes its message
//! to stderr (the original writes to stdout, which our CLI keeps for
//! outputs) and passes it on. `Uppercase`, `Lowercase` and `Trim` are the
//! original's benchmark modules (`text` -> `result`).

use asterism_compiler::{CType, CValue};

use asterism_compiler::jvm;

use crate::modules::module::{signature, Module, ModuleError};

fn int2(name: &str, f: fn(i64, i64) -> Option<i64>, what: &'static str) -> Module {
    Module::sync(name, ["a", "b"], "out", move |a: i64, b: i64| {
        f(a, b).ok_or_else(|| ModuleError::new(format!("{what} ({a}, {b})")))
    })
}

fn cmp(name: &str, f: fn(i64, i64) -> bool) -> Module {
    Module::sync(name, ["a", "b"], "out", f)
}

/// A string module reading `&str` without cloning its input.
fn text(name: &str, param: &str, output: &str, f: fn(&str) -> String) -> Module {
    Module::raw_sync(
        signature(name, [(param, CType::String)], (output, CType::String)),
        move |inputs, outputs| outputs.set(0, CValue::String(f(inputs.str(0)?))),
    )
}

fn int_list(name: &str, f: fn(&[CValue]) -> Result<i64, ModuleError>) -> Module {
    Module::raw_sync(
        signature(
            name,
            [("list", CType::list(CType::Int))],
            ("out", CType::Int),
        ),
        move |inputs, outputs| outputs.set(0, CValue::Int(f(inputs.list(0)?)?)),
    )
}

fn ints(list: &[CValue]) -> impl Iterator<Item = i64> + '_ {
    list.iter().filter_map(CValue::as_int)
}

/// Every standard module.
pub fn modules() -> Vec<Module> {
    vec![
        int2("stdlib.add", |a, b| Some(a.wrapping_add(b)), "add"),
        int2(
            "stdlib.subtract",
            |a, b| Some(a.wrapping_sub(b)),
            "subtract",
        ),
        int2(
            "stdlib.multiply",
            |a, b| Some(a.wrapping_mul(b)),
            "multiply",
        ),
        int2(
            "stdlib.divide",
            |a, b| (b != 0).then(|| a.wrapping_div(b)),
            "Division by zero in stdlib.divide",
        ),
        int2(
            "stdlib.modulo",
            |a, b| (b != 0).then(|| a.wrapping_rem(b)),
            "Division by zero in stdlib.modulo",
        ),
        int2("stdlib.max", |a, b| Some(a.max(b)), "max"),
        int2("stdlib.min", |a, b| Some(a.min(b)), "min"),
        Module::sync("stdlib.abs", ["value"], "out", i64::wrapping_abs),
        Module::sync("stdlib.negate", ["value"], "out", i64::wrapping_neg),
        Module::sync("stdlib.round", ["value"], "out", jvm::round),
        Module::raw_sync(
            signature(
                "stdlib.concat",
                [("a", CType::String), ("b", CType::String)],
                ("out", CType::String),
            ),
            |i, o| {
                let (a, b) = (i.str(0)?, i.str(1)?);
                let mut s = String::with_capacity(a.len() + b.len());
                s.push_str(a);
                s.push_str(b);
                o.set(0, CValue::String(s))
            },
        ),
        text("stdlib.trim", "value", "out", |s| java_trim(s).to_owned()),
        Module::raw_sync(
            signature(
                "stdlib.string-length",
                [("value", CType::String)],
                ("out", CType::Int),
            ),
            |i, o| o.set(0, CValue::Int(i.str(0)?.encode_utf16().count() as i64)),
        ),
        Module::raw_sync(
            signature(
                "stdlib.contains",
                [("value", CType::String), ("substring", CType::String)],
                ("out", CType::Boolean),
            ),
            |i, o| o.set(0, CValue::Boolean(i.str(0)?.contains(i.str(1)?))),
        ),
        Module::raw_sync(
            signature(
                "stdlib.replace",
                [
                    ("value", CType::String),
                    ("target", CType::String),
                    ("replacement", CType::String),
                ],
                ("out", CType::String),
            ),
            // Java's `String.replace`: an empty target matches between
            // every character, as Rust's does.
            |i, o| o.set(0, CValue::String(i.str(0)?.replace(i.str(1)?, i.str(2)?))),
        ),
        Module::raw_sync(
            signature(
                "stdlib.join",
                [
                    ("list", CType::list(CType::String)),
                    ("separator", CType::String),
                ],
                ("out", CType::String),
            ),
            |i, o| {
                let parts: Vec<&str> = i.list(0)?.iter().filter_map(CValue::as_str).collect();
                o.set(0, CValue::String(parts.join(i.str(1)?)))
            },
        ),
        Module::raw_sync(
            signature(
                "stdlib.split",
                [("value", CType::String), ("substring", CType::String)],
                ("out", CType::list(CType::String)),
            ),
            |i, o| {
                let parts = java_split(i.str(0)?, i.str(1)?)
                    .into_iter()
                    .map(CValue::String)
                    .collect();
                o.set(0, CValue::list(parts, CType::String))
            },
        ),
        cmp("stdlib.eq-int", |a, b| a == b),
        cmp("stdlib.gt", |a, b| a > b),
        cmp("stdlib.lt", |a, b| a < b),
        cmp("stdlib.gte", |a, b| a >= b),
        cmp("stdlib.lte", |a, b| a <= b),
        Module::raw_sync(
            signature(
                "stdlib.eq-string",
                [("a", CType::String), ("b", CType::String)],
                ("out", CType::Boolean),
            ),
            |i, o| o.set(0, CValue::Boolean(i.str(0)? == i.str(1)?)),
        ),
        Module::sync("stdlib.and", ["a", "b"], "out", |a: bool, b: bool| a && b),
        Module::sync("stdlib.or", ["a", "b"], "out", |a: bool, b: bool| a || b),
        Module::sync("stdlib.not", ["value"], "out", |v: bool| !v),
        int_list("stdlib.list-length", |l| Ok(l.len() as i64)),
        int_list("stdlib.list-sum", |l| {
            Ok(ints(l).fold(0i64, i64::wrapping_add))
        }),
        int_list("stdlib.list-first", |l| {
            l.first()
                .and_then(CValue::as_int)
                .ok_or_else(|| ModuleError::new("list-first of an empty list"))
        }),
        int_list("stdlib.list-last", |l| {
            l.last()
                .and_then(CValue::as_int)
                .ok_or_else(|| ModuleError::new("list-last of an empty list"))
        }),
        Module::raw_sync(
            signature(
                "stdlib.list-is-empty",
                [("list", CType::list(CType::Int))],
                ("out", CType::Boolean),
            ),
            |i, o| o.set(0, CValue::Boolean(i.list(0)?.is_empty())),
        ),
        Module::raw_sync(
            signature(
                "stdlib.list-reverse",
                [("list", CType::list(CType::Int))],
                ("out", CType::list(CType::Int)),
            ),
            |i, o| {
                let mut l = i.list(0)?.to_vec();
                l.reverse();
                o.set(0, CValue::list(l, CType::Int))
            },
        ),
        Module::raw_sync(
            signature(
                "stdlib.list-concat",
                [
                    ("a", CType::list(CType::Int)),
                    ("b", CType::list(CType::Int)),
                ],
                ("out", CType::list(CType::Int)),
            ),
            |i, o| {
                let mut l = i.list(0)?.to_vec();
                l.extend_from_slice(i.list(1)?);
                o.set(0, CValue::list(l, CType::Int))
            },
        ),
        Module::raw_sync(
            signature(
                "stdlib.list-contains",
                [("list", CType::list(CType::Int)), ("value", CType::Int)],
                ("out", CType::Boolean),
            ),
            |i, o| {
                let v = i.int(1)?;
                o.set(0, CValue::Boolean(ints(i.list(0)?).any(|x| x == v)))
            },
        ),
        Module::sync("stdlib.to-string", ["value"], "out", |v: i64| v.to_string()),
        Module::sync("stdlib.to-int", ["value"], "out", jvm::to_long),
        Module::sync("stdlib.to-float", ["value"], "out", |v: i64| v as f64),
        text("stdlib.identity", "value", "value", str::to_owned),
        text("stdlib.log", "message", "out", |m| {
            use std::io::Write as _;
            // Ignore a closed stderr: logging must not fail the module.
            let _ = writeln!(std::io::stderr().lock(), "[constellation-lang] {m}");
            m.to_owned()
        }),
        text("Uppercase", "text", "result", str::to_uppercase),
        text("Lowercase", "text", "result", str::to_lowercase),
        text("Trim", "text", "result", |s| s.trim().to_owned()),
    ]
}

/// Java's `String.trim`: strips every character up to U+0020 (controls
/// and space) from both ends, and nothing else.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Java's `s.split(Pattern.quote(sep), -1)`: every part, trailing empty
/// ones included; an empty separator splits between characters (with a
/// trailing empty part, as Java's limit -1 gives).
fn java_split(s: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        if s.is_empty() {
            return vec![String::new()];
        }
        let mut parts: Vec<String> = s.chars().map(String::from).collect();
        parts.push(String::new());
        return parts;
    }
    s.split(sep).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_follow_java() {
        assert_eq!(java_trim("\t a b \n"), "a b");
        // U+00A0 (no-break space) is above U+0020: Java keeps it.
        assert_eq!(java_trim("\u{a0}x\u{a0}"), "\u{a0}x\u{a0}");
        assert_eq!(java_split("a,b,,", ","), ["a", "b", "", ""]);
        assert_eq!(java_split(",a", ","), ["", "a"]);
        assert_eq!(java_split("ab", ""), ["a", "b", ""]);
        assert_eq!(java_split("", ","), [""]);
    }
}
