//! The standard modules, with the original's names and ports.
//!
//! Arithmetic checks for overflow and division by zero and reports them as
//! module errors; list modules on an empty list report an error where there
//! is no answer. `Uppercase`, `Lowercase` and `Trim` are the original's
//! benchmark modules (`text` -> `result`).

use asterism_compiler::{CType, CValue};

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
        int2("stdlib.add", i64::checked_add, "integer overflow in add"),
        int2(
            "stdlib.subtract",
            i64::checked_sub,
            "integer overflow in subtract",
        ),
        int2(
            "stdlib.multiply",
            i64::checked_mul,
            "integer overflow in multiply",
        ),
        int2(
            "stdlib.divide",
            i64::checked_div,
            "division by zero (or overflow) in divide",
        ),
        int2(
            "stdlib.modulo",
            i64::checked_rem,
            "division by zero (or overflow) in modulo",
        ),
        int2("stdlib.max", |a, b| Some(a.max(b)), "max"),
        int2("stdlib.min", |a, b| Some(a.min(b)), "min"),
        Module::sync("stdlib.abs", ["value"], "out", |v: i64| {
            v.checked_abs()
                .ok_or_else(|| ModuleError::new(format!("integer overflow in abs ({v})")))
        }),
        Module::sync("stdlib.negate", ["value"], "out", |v: i64| {
            v.checked_neg()
                .ok_or_else(|| ModuleError::new(format!("integer overflow in negate ({v})")))
        }),
        Module::sync("stdlib.round", ["value"], "out", |v: f64| {
            float_to_int("round", v.round())
        }),
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
        text("stdlib.trim", "value", "out", |s| s.trim().to_owned()),
        Module::raw_sync(
            signature(
                "stdlib.string-length",
                [("value", CType::String)],
                ("out", CType::Int),
            ),
            |i, o| o.set(0, CValue::Int(i.str(0)?.chars().count() as i64)),
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
            |i, o| {
                let target = i.str(1)?;
                if target.is_empty() {
                    return Err(ModuleError::new(
                        "replace: the target is empty; give a non-empty string to replace",
                    ));
                }
                o.set(0, CValue::String(i.str(0)?.replace(target, i.str(2)?)))
            },
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
                let sep = i.str(1)?;
                if sep.is_empty() {
                    return Err(ModuleError::new(
                        "split: the separator is empty; give a non-empty separator",
                    ));
                }
                let parts = i
                    .str(0)?
                    .split(sep)
                    .map(|p| CValue::String(p.to_owned()))
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
            ints(l)
                .try_fold(0i64, i64::checked_add)
                .ok_or_else(|| ModuleError::new("integer overflow in list-sum"))
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
        Module::sync("stdlib.to-int", ["value"], "out", |v: f64| {
            float_to_int("to-int", v.trunc())
        }),
        Module::sync("stdlib.to-float", ["value"], "out", |v: i64| v as f64),
        text("stdlib.identity", "value", "value", str::to_owned),
        text("Uppercase", "text", "result", str::to_uppercase),
        text("Lowercase", "text", "result", str::to_lowercase),
        text("Trim", "text", "result", |s| s.trim().to_owned()),
    ]
}

fn float_to_int(what: &str, v: f64) -> Result<i64, ModuleError> {
    // i64::MAX as f64 rounds up to 2^63, so compare against the bounds as floats.
    if v.is_finite() && v >= i64::MIN as f64 && v < i64::MAX as f64 {
        Ok(v as i64)
    } else {
        Err(ModuleError::new(format!(
            "{what}: {v} does not fit in an Int"
        )))
    }
}
