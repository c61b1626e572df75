//! Every standard module, run through a real pipeline: a one-module spec
//! built with `DagBuilder`, loaded against `Registry::with_stdlib()`, run
//! with `run_sync`. Each call is run on the slot executor and on the
//! reference executor, and both must agree.
//!
//! Numbers follow the JVM as the original's do (wrapping overflow,
//! `Math.round`, saturating float-to-int); errors (division by zero, empty
//! lists) must be module errors (`FailureKind::Error` with a message), never
//! panics.

use asterism_compiler::{CType, CValue, DagBuilder, DagSpec, ModuleSignature};
use asterism_runtime::{FailureKind, Program, Registry, RuntimeConfig};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// What one execution of a one-module pipeline gave: the output value, or
/// the single failure's kind and message.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Value(CValue),
    Failed(FailureKind, String),
}

/// A pipeline with one call of `module`: one user input per parameter
/// (named after the parameter, typed after the value), and the output field
/// `output` declared as the pipeline output `result`.
fn one_module_spec(module: &str, args: &[(&str, CValue)], output: &str, out_ty: &CType) -> DagSpec {
    let mut b = DagBuilder::seeded("stdlib-test", 7);
    let m = b.module(module);
    for (param, value) in args {
        let d = b.input(*param, value.ctype());
        b.bind(d, m, *param);
    }
    let out = b.produce(m, output, "result-data", out_ty.clone());
    b.output("result", out);
    b.build()
}

fn run_once(program: &Program, args: &[(&str, CValue)]) -> Outcome {
    let inputs: Vec<_> = args
        .iter()
        .map(|(p, v)| (program.input(p).expect("input exists"), v.clone()))
        .collect();
    let result = program
        .run_sync(inputs)
        .unwrap_or_else(|e| panic!("the inputs are valid, but: {e}"));
    let failures = result.failures();
    if failures.is_empty() {
        assert!(result.is_success(), "{:?}", result.problems());
        let value = result
            .output_named("result")
            .cloned()
            .expect("a successful run has its output");
        Outcome::Value(value)
    } else {
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(!result.is_success());
        assert_eq!(
            result.output_named("result"),
            None,
            "a failed module leaves no output"
        );
        let (_, f) = failures.into_iter().next().unwrap();
        Outcome::Failed(f.kind, f.message)
    }
}

/// Runs `module` once on both executors; `Ok(output)` or `Err(message)` of
/// a module error. A panic (or any other failure kind) fails the test.
fn call(
    module: &str,
    args: &[(&str, CValue)],
    output: &str,
    out_ty: CType,
) -> Result<CValue, String> {
    let registry = Registry::with_stdlib();
    let spec = one_module_spec(module, args, output, &out_ty);
    let slot = Program::load(&spec, &registry, &RuntimeConfig::default())
        .unwrap_or_else(|e| panic!("`{module}` pipeline does not load: {e}"));
    let reference = Program::load(&spec, &registry, &RuntimeConfig::default().reference())
        .unwrap_or_else(|e| panic!("`{module}` pipeline does not load: {e}"));
    let got = run_once(&slot, args);
    assert_eq!(
        got,
        run_once(&reference, args),
        "`{module}` {args:?}: the slot and reference executors disagree"
    );
    match got {
        Outcome::Value(v) => {
            assert!(
                v.has_type(&out_ty),
                "`{module}` returned {v:?}, not {out_ty}"
            );
            Ok(v)
        }
        Outcome::Failed(FailureKind::Error, message) => {
            assert!(!message.is_empty(), "`{module}`: empty error message");
            Err(message)
        }
        Outcome::Failed(kind, message) => {
            panic!("`{module}` {args:?} failed with {kind:?}, not a module error: {message}")
        }
    }
}

fn ok(module: &str, args: &[(&str, CValue)], output: &str, out_ty: CType) -> CValue {
    call(module, args, output, out_ty).unwrap_or_else(|m| panic!("`{module}` {args:?} failed: {m}"))
}

fn assert_contains(message: &str, parts: &[&str]) {
    for p in parts {
        assert!(
            message.contains(p),
            "message {message:?} does not mention {p:?}"
        );
    }
}

fn int(v: i64) -> CValue {
    CValue::Int(v)
}
fn float(v: f64) -> CValue {
    CValue::Float(v)
}
fn boolean(v: bool) -> CValue {
    CValue::Boolean(v)
}
fn string(v: &str) -> CValue {
    CValue::String(v.to_owned())
}
fn ints(v: &[i64]) -> CValue {
    CValue::list(v.iter().copied().map(CValue::Int).collect(), CType::Int)
}
fn strings(v: &[&str]) -> CValue {
    CValue::list(v.iter().copied().map(string).collect(), CType::String)
}
fn list_of(t: CType) -> CType {
    CType::list(t)
}

/// `(a, b): Int -> Int`.
fn int2(module: &str, a: i64, b: i64) -> Result<CValue, String> {
    call(module, &[("a", int(a)), ("b", int(b))], "out", CType::Int)
}
/// `(a, b): Int -> Boolean`.
fn cmp(module: &str, a: i64, b: i64) -> bool {
    match ok(
        module,
        &[("a", int(a)), ("b", int(b))],
        "out",
        CType::Boolean,
    ) {
        CValue::Boolean(v) => v,
        other => panic!("`{module}` returned {other:?}"),
    }
}
/// `value: Int -> Int`.
fn int1(module: &str, v: i64) -> Result<CValue, String> {
    call(module, &[("value", int(v))], "out", CType::Int)
}
/// `value: Float -> Int`.
fn float_to_int(module: &str, v: f64) -> Result<CValue, String> {
    call(module, &[("value", float(v))], "out", CType::Int)
}
/// `list: List<Int> -> Int`.
fn list_int(module: &str, l: &[i64]) -> Result<CValue, String> {
    call(module, &[("list", ints(l))], "out", CType::Int)
}

// ---------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------

fn sig<const P: usize, const O: usize>(
    name: &str,
    params: [(&str, CType); P],
    outputs: [(&str, CType); O],
) -> ModuleSignature {
    ModuleSignature::new(name, params, outputs)
}

/// The standard modules as the issue lists them.
fn expected_signatures() -> Vec<ModuleSignature> {
    use CType::{Boolean, Float, Int, String as Str};
    let li = || list_of(Int);
    let ls = || list_of(Str);
    let mut v = Vec::new();
    for n in [
        "add", "subtract", "multiply", "divide", "modulo", "max", "min",
    ] {
        v.push(sig(
            &format!("stdlib.{n}"),
            [("a", Int), ("b", Int)],
            [("out", Int)],
        ));
    }
    for n in ["abs", "negate"] {
        v.push(sig(
            &format!("stdlib.{n}"),
            [("value", Int)],
            [("out", Int)],
        ));
    }
    v.push(sig("stdlib.round", [("value", Float)], [("out", Int)]));
    v.push(sig(
        "stdlib.concat",
        [("a", Str), ("b", Str)],
        [("out", Str)],
    ));
    v.push(sig("stdlib.trim", [("value", Str)], [("out", Str)]));
    v.push(sig(
        "stdlib.string-length",
        [("value", Str)],
        [("out", Int)],
    ));
    v.push(sig(
        "stdlib.contains",
        [("value", Str), ("substring", Str)],
        [("out", Boolean)],
    ));
    v.push(sig(
        "stdlib.replace",
        [("value", Str), ("target", Str), ("replacement", Str)],
        [("out", Str)],
    ));
    v.push(sig(
        "stdlib.join",
        [("list", ls()), ("separator", Str)],
        [("out", Str)],
    ));
    v.push(sig(
        "stdlib.split",
        [("value", Str), ("substring", Str)],
        [("out", ls())],
    ));
    for n in ["eq-int", "gt", "lt", "gte", "lte"] {
        v.push(sig(
            &format!("stdlib.{n}"),
            [("a", Int), ("b", Int)],
            [("out", Boolean)],
        ));
    }
    v.push(sig(
        "stdlib.eq-string",
        [("a", Str), ("b", Str)],
        [("out", Boolean)],
    ));
    for n in ["and", "or"] {
        v.push(sig(
            &format!("stdlib.{n}"),
            [("a", Boolean), ("b", Boolean)],
            [("out", Boolean)],
        ));
    }
    v.push(sig("stdlib.not", [("value", Boolean)], [("out", Boolean)]));
    for n in ["list-length", "list-sum", "list-first", "list-last"] {
        v.push(sig(
            &format!("stdlib.{n}"),
            [("list", li())],
            [("out", Int)],
        ));
    }
    v.push(sig(
        "stdlib.list-is-empty",
        [("list", li())],
        [("out", Boolean)],
    ));
    v.push(sig(
        "stdlib.list-reverse",
        [("list", li())],
        [("out", li())],
    ));
    v.push(sig(
        "stdlib.list-concat",
        [("a", li()), ("b", li())],
        [("out", li())],
    ));
    v.push(sig(
        "stdlib.list-contains",
        [("list", li()), ("value", Int)],
        [("out", Boolean)],
    ));
    v.push(sig("stdlib.to-string", [("value", Int)], [("out", Str)]));
    v.push(sig("stdlib.to-int", [("value", Float)], [("out", Int)]));
    v.push(sig("stdlib.to-float", [("value", Int)], [("out", Float)]));
    v.push(sig("stdlib.identity", [("value", Str)], [("value", Str)]));
    v.push(sig("stdlib.log", [("message", Str)], [("out", Str)]));
    for n in ["Uppercase", "Lowercase", "Trim"] {
        v.push(sig(n, [("text", Str)], [("result", Str)]));
    }
    v
}

#[test]
fn every_standard_module_has_the_listed_signature() {
    let registry = Registry::with_stdlib();
    let expected = expected_signatures();
    assert_eq!(
        expected.len(),
        42,
        "the original's 39 lang-stdlib modules and its 3 benchmark modules"
    );
    for want in &expected {
        let module = registry
            .get(&want.name)
            .unwrap_or_else(|| panic!("`{}` is not registered", want.name));
        assert_eq!(module.name(), want.name);
        let got = module.signature();
        assert_eq!(got.params, want.params, "parameters of `{}`", want.name);
        assert_eq!(got.outputs, want.outputs, "outputs of `{}`", want.name);
        assert_eq!(
            got.default_timeout, None,
            "`{}` has no default timeout",
            want.name
        );
        assert!(!module.is_async(), "`{}` is sync", want.name);
    }
    assert_eq!(
        registry.len(),
        expected.len(),
        "with_stdlib registers exactly the listed modules"
    );
    let listed: Vec<String> = registry
        .signatures()
        .iter()
        .map(|s| s.name.clone())
        .collect();
    for want in &expected {
        assert!(
            listed.contains(&want.name),
            "signatures() lists `{}`",
            want.name
        );
    }
}

#[test]
fn short_names_resolve_to_the_standard_modules() {
    // Spec names like the original's ("mydag.Uppercase", "x.add") resolve by
    // short name.
    assert_eq!(
        ok(
            "mydag.Uppercase",
            &[("text", string("abc"))],
            "result",
            CType::String
        ),
        string("ABC")
    );
    assert_eq!(int2("x.add", 2, 3), Ok(int(5)));
}

// ---------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------

#[test]
fn add() {
    assert_eq!(int2("stdlib.add", 2, 3), Ok(int(5)));
    assert_eq!(int2("stdlib.add", -7, 3), Ok(int(-4)));
    assert_eq!(int2("stdlib.add", i64::MAX, 0), Ok(int(i64::MAX)));
    assert_eq!(int2("stdlib.add", i64::MIN, i64::MAX), Ok(int(-1)));
}

#[test]
fn add_wraps_on_overflow_as_the_jvm_does() {
    assert_eq!(int2("stdlib.add", i64::MAX, 1), Ok(int(i64::MIN)));
    assert_eq!(int2("stdlib.add", i64::MIN, -1), Ok(int(i64::MAX)));
}

#[test]
fn subtract() {
    assert_eq!(int2("stdlib.subtract", 10, 3), Ok(int(7)));
    assert_eq!(int2("stdlib.subtract", 3, 10), Ok(int(-7)));
    assert_eq!(int2("stdlib.subtract", i64::MIN, -1), Ok(int(i64::MIN + 1)));
}

#[test]
fn subtract_wraps_on_overflow() {
    assert_eq!(int2("stdlib.subtract", i64::MIN, 1), Ok(int(i64::MAX)));
    assert_eq!(int2("stdlib.subtract", 0, i64::MIN), Ok(int(i64::MIN)));
}

#[test]
fn multiply() {
    assert_eq!(int2("stdlib.multiply", 6, 7), Ok(int(42)));
    assert_eq!(int2("stdlib.multiply", -3, 4), Ok(int(-12)));
    assert_eq!(int2("stdlib.multiply", 0, i64::MIN), Ok(int(0)));
}

#[test]
fn multiply_wraps_on_overflow() {
    assert_eq!(int2("stdlib.multiply", i64::MAX, 2), Ok(int(-2)));
    assert_eq!(int2("stdlib.multiply", i64::MIN, -1), Ok(int(i64::MIN)));
}

#[test]
fn divide_truncates_toward_zero() {
    assert_eq!(int2("stdlib.divide", 7, 2), Ok(int(3)));
    assert_eq!(int2("stdlib.divide", -7, 2), Ok(int(-3)));
    assert_eq!(int2("stdlib.divide", 42, -6), Ok(int(-7)));
    assert_eq!(int2("stdlib.divide", 0, 5), Ok(int(0)));
}

#[test]
fn divide_by_zero_is_a_module_error_and_min_by_minus_one_wraps() {
    let m = int2("stdlib.divide", 7, 0).unwrap_err();
    assert_contains(&m, &["Division by zero", "divide"]);
    let m = int2("stdlib.divide", 0, 0).unwrap_err();
    assert_contains(&m, &["Division by zero"]);
    // Long.MinValue / -1 is Long.MinValue on the JVM.
    assert_eq!(int2("stdlib.divide", i64::MIN, -1), Ok(int(i64::MIN)));
}

#[test]
fn modulo_keeps_the_dividends_sign() {
    assert_eq!(int2("stdlib.modulo", 7, 3), Ok(int(1)));
    assert_eq!(int2("stdlib.modulo", -7, 3), Ok(int(-1)));
    assert_eq!(int2("stdlib.modulo", 7, -3), Ok(int(1)));
    assert_eq!(int2("stdlib.modulo", 6, 3), Ok(int(0)));
}

#[test]
fn modulo_by_zero_is_a_module_error() {
    let m = int2("stdlib.modulo", 7, 0).unwrap_err();
    assert_contains(&m, &["Division by zero", "modulo"]);
    let m = int2("stdlib.modulo", i64::MIN, 0).unwrap_err();
    assert_contains(&m, &["Division by zero", "modulo"]);
    assert_eq!(int2("stdlib.modulo", i64::MIN, -1), Ok(int(0)));
}

#[test]
fn max_and_min() {
    assert_eq!(int2("stdlib.max", 3, -5), Ok(int(3)));
    assert_eq!(int2("stdlib.max", -5, 3), Ok(int(3)));
    assert_eq!(int2("stdlib.max", 4, 4), Ok(int(4)));
    assert_eq!(int2("stdlib.max", i64::MIN, i64::MAX), Ok(int(i64::MAX)));
    assert_eq!(int2("stdlib.min", 3, -5), Ok(int(-5)));
    assert_eq!(int2("stdlib.min", -5, 3), Ok(int(-5)));
    assert_eq!(int2("stdlib.min", 4, 4), Ok(int(4)));
    assert_eq!(int2("stdlib.min", i64::MIN, i64::MAX), Ok(int(i64::MIN)));
}

#[test]
fn abs() {
    assert_eq!(int1("stdlib.abs", -5), Ok(int(5)));
    assert_eq!(int1("stdlib.abs", 5), Ok(int(5)));
    assert_eq!(int1("stdlib.abs", 0), Ok(int(0)));
    assert_eq!(int1("stdlib.abs", i64::MIN + 1), Ok(int(i64::MAX)));
}

#[test]
fn abs_of_min_is_min_as_on_the_jvm() {
    assert_eq!(int1("stdlib.abs", i64::MIN), Ok(int(i64::MIN)));
}

#[test]
fn negate() {
    assert_eq!(int1("stdlib.negate", 5), Ok(int(-5)));
    assert_eq!(int1("stdlib.negate", -5), Ok(int(5)));
    assert_eq!(int1("stdlib.negate", 0), Ok(int(0)));
    assert_eq!(int1("stdlib.negate", i64::MAX), Ok(int(-i64::MAX)));
}

#[test]
fn negate_of_min_is_min_as_on_the_jvm() {
    assert_eq!(int1("stdlib.negate", i64::MIN), Ok(int(i64::MIN)));
}

// ---------------------------------------------------------------------------
// Floats and conversions
// ---------------------------------------------------------------------------

#[test]
fn round_is_math_round_halves_up() {
    assert_eq!(float_to_int("stdlib.round", 2.4), Ok(int(2)));
    assert_eq!(float_to_int("stdlib.round", 2.5), Ok(int(3)));
    assert_eq!(float_to_int("stdlib.round", -2.5), Ok(int(-2)));
    assert_eq!(float_to_int("stdlib.round", -2.7), Ok(int(-3)));
    assert_eq!(float_to_int("stdlib.round", -0.4), Ok(int(0)));
    assert_eq!(float_to_int("stdlib.round", 0.0), Ok(int(0)));
    assert_eq!(
        float_to_int("stdlib.round", -9_223_372_036_854_775_808.0),
        Ok(int(i64::MIN))
    );
    assert_eq!(
        float_to_int("stdlib.round", 9.2e18),
        Ok(int(9_200_000_000_000_000_000))
    );
}

#[test]
fn round_of_nan_infinity_and_huge_saturates_as_on_the_jvm() {
    assert_eq!(float_to_int("stdlib.round", f64::NAN), Ok(int(0)));
    for (v, want) in [
        (f64::INFINITY, i64::MAX),
        (f64::NEG_INFINITY, i64::MIN),
        (1e19, i64::MAX),
        (-1e19, i64::MIN),
        (9_223_372_036_854_775_808.0, i64::MAX),
        (f64::MAX, i64::MAX),
        (f64::MIN, i64::MIN),
    ] {
        assert_eq!(float_to_int("stdlib.round", v), Ok(int(want)), "{v}");
    }
}

#[test]
fn to_int_truncates() {
    assert_eq!(float_to_int("stdlib.to-int", 2.9), Ok(int(2)));
    assert_eq!(float_to_int("stdlib.to-int", -2.9), Ok(int(-2)));
    assert_eq!(float_to_int("stdlib.to-int", 7.0), Ok(int(7)));
    assert_eq!(float_to_int("stdlib.to-int", -0.5), Ok(int(0)));
    assert_eq!(
        float_to_int("stdlib.to-int", -9_223_372_036_854_775_808.0),
        Ok(int(i64::MIN))
    );
}

#[test]
fn to_int_of_nan_infinity_and_huge_saturates_as_on_the_jvm() {
    for (v, want) in [
        (f64::NAN, 0),
        (f64::INFINITY, i64::MAX),
        (f64::NEG_INFINITY, i64::MIN),
        (1e300, i64::MAX),
        (-1e300, i64::MIN),
        (9_223_372_036_854_775_808.0, i64::MAX),
    ] {
        assert_eq!(float_to_int("stdlib.to-int", v), Ok(int(want)), "{v}");
    }
}

#[test]
fn to_float() {
    let f = |v| ok("stdlib.to-float", &[("value", int(v))], "out", CType::Float);
    assert_eq!(f(3), float(3.0));
    assert_eq!(f(-1), float(-1.0));
    assert_eq!(f(0), float(0.0));
    assert_eq!(f(1 << 53), float(9_007_199_254_740_992.0));
}

#[test]
fn to_string() {
    let f = |v| {
        ok(
            "stdlib.to-string",
            &[("value", int(v))],
            "out",
            CType::String,
        )
    };
    assert_eq!(f(42), string("42"));
    assert_eq!(f(-7), string("-7"));
    assert_eq!(f(0), string("0"));
    assert_eq!(f(i64::MIN), string("-9223372036854775808"));
}

// ---------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------

fn str2(module: &str, a: &str, b: &str, out_ty: CType) -> CValue {
    ok(module, &[("a", string(a)), ("b", string(b))], "out", out_ty)
}

#[test]
fn concat() {
    assert_eq!(
        str2("stdlib.concat", "foo", "bar", CType::String),
        string("foobar")
    );
    assert_eq!(
        str2("stdlib.concat", "", "bar", CType::String),
        string("bar")
    );
    assert_eq!(str2("stdlib.concat", "", "", CType::String), string(""));
    assert_eq!(str2("stdlib.concat", "é", "ü", CType::String), string("éü"));
}

#[test]
fn trim() {
    let f = |v| ok("stdlib.trim", &[("value", string(v))], "out", CType::String);
    assert_eq!(f("  hi \n\t"), string("hi"));
    assert_eq!(f("a b"), string("a b"));
    assert_eq!(f("   "), string(""));
    assert_eq!(f(""), string(""));
    // Java's trim: characters up to U+0020 only.
    assert_eq!(f("\u{a0}x\u{1}"), string("\u{a0}x"));
}

#[test]
fn string_length_counts_utf16_units_as_java_does() {
    let f = |v| {
        ok(
            "stdlib.string-length",
            &[("value", string(v))],
            "out",
            CType::Int,
        )
    };
    assert_eq!(f("hello"), int(5));
    assert_eq!(f(""), int(0));
    assert_eq!(f("héllo"), int(5));
    assert_eq!(f("日本"), int(2));
    assert_eq!(f("😀"), int(2));
}

#[test]
fn contains() {
    let f = |v, s| {
        ok(
            "stdlib.contains",
            &[("value", string(v)), ("substring", string(s))],
            "out",
            CType::Boolean,
        )
    };
    assert_eq!(f("hello", "ell"), boolean(true));
    assert_eq!(f("hello", "xyz"), boolean(false));
    assert_eq!(f("hello", "hello!"), boolean(false));
    assert_eq!(f("hello", ""), boolean(true));
    assert_eq!(f("", "a"), boolean(false));
}

fn replace(v: &str, t: &str, r: &str) -> Result<CValue, String> {
    call(
        "stdlib.replace",
        &[
            ("value", string(v)),
            ("target", string(t)),
            ("replacement", string(r)),
        ],
        "out",
        CType::String,
    )
}

#[test]
fn replace_replaces_every_occurrence() {
    assert_eq!(replace("a-b-c", "-", "+"), Ok(string("a+b+c")));
    assert_eq!(replace("aaa", "a", "bb"), Ok(string("bbbbbb")));
    assert_eq!(replace("hello", "xyz", "!"), Ok(string("hello")));
    assert_eq!(replace("hello", "l", ""), Ok(string("heo")));
    assert_eq!(replace("", "a", "b"), Ok(string("")));
}

#[test]
fn replace_with_an_empty_target_inserts_between_characters_as_java_does() {
    assert_eq!(replace("abc", "", "x"), Ok(string("xaxbxcx")));
    assert_eq!(replace("", "", "x"), Ok(string("x")));
}

#[test]
fn join() {
    let f = |l: &[&str], sep| {
        ok(
            "stdlib.join",
            &[("list", strings(l)), ("separator", string(sep))],
            "out",
            CType::String,
        )
    };
    assert_eq!(f(&["a", "b", "c"], ", "), string("a, b, c"));
    assert_eq!(f(&["x"], ","), string("x"));
    assert_eq!(f(&[], ","), string(""));
    assert_eq!(f(&["a", "b"], ""), string("ab"));
    assert_eq!(f(&["", ""], "-"), string("-"));
}

fn split(v: &str, sep: &str) -> Result<CValue, String> {
    call(
        "stdlib.split",
        &[("value", string(v)), ("substring", string(sep))],
        "out",
        list_of(CType::String),
    )
}

#[test]
fn split_keeps_empty_parts() {
    assert_eq!(split("a,b,,c", ","), Ok(strings(&["a", "b", "", "c"])));
    assert_eq!(split("abc", ","), Ok(strings(&["abc"])));
    assert_eq!(split("a::b", "::"), Ok(strings(&["a", "b"])));
    assert_eq!(split(",a,", ","), Ok(strings(&["", "a", ""])));
    assert_eq!(split("", ","), Ok(strings(&[""])));
}

#[test]
fn split_with_an_empty_separator_splits_between_characters_as_java_does() {
    assert_eq!(split("abc", ""), Ok(strings(&["a", "b", "c", ""])));
    assert_eq!(split("", ""), Ok(strings(&[""])));
}

#[test]
fn eq_string() {
    let f = |a, b| str2("stdlib.eq-string", a, b, CType::Boolean);
    assert_eq!(f("abc", "abc"), boolean(true));
    assert_eq!(f("abc", "abd"), boolean(false));
    assert_eq!(f("abc", "ABC"), boolean(false));
    assert_eq!(f("", ""), boolean(true));
}

#[test]
fn identity_passes_the_value_through_to_its_value_output() {
    let f = |v| {
        ok(
            "stdlib.identity",
            &[("value", string(v))],
            "value",
            CType::String,
        )
    };
    assert_eq!(f("as is "), string("as is "));
    assert_eq!(f(""), string(""));
}

#[test]
fn uppercase_lowercase_and_trim_use_text_and_result() {
    let f = |m, v| ok(m, &[("text", string(v))], "result", CType::String);
    assert_eq!(f("Uppercase", "Hello, world"), string("HELLO, WORLD"));
    assert_eq!(f("Uppercase", "straße"), string("STRASSE"));
    assert_eq!(f("Lowercase", "HeLLo ÉTÉ"), string("hello été"));
    assert_eq!(f("Lowercase", ""), string(""));
    assert_eq!(f("Trim", "  padded\n"), string("padded"));
    assert_eq!(f("Trim", "inner  space"), string("inner  space"));
}

// ---------------------------------------------------------------------------
// Comparisons and booleans
// ---------------------------------------------------------------------------

#[test]
fn integer_comparisons() {
    // (a, b) for a < b, a == b, a > b.
    let cases = [(1, 2), (2, 2), (3, 2), (i64::MIN, i64::MAX)];
    for (a, b) in cases {
        assert_eq!(cmp("stdlib.eq-int", a, b), a == b, "eq-int {a} {b}");
        assert_eq!(cmp("stdlib.gt", a, b), a > b, "gt {a} {b}");
        assert_eq!(cmp("stdlib.lt", a, b), a < b, "lt {a} {b}");
        assert_eq!(cmp("stdlib.gte", a, b), a >= b, "gte {a} {b}");
        assert_eq!(cmp("stdlib.lte", a, b), a <= b, "lte {a} {b}");
    }
    // Spelled out, so a wrong operator cannot hide behind the same mistake.
    assert!(cmp("stdlib.gt", 3, 2));
    assert!(!cmp("stdlib.gt", 2, 2));
    assert!(cmp("stdlib.gte", 2, 2));
    assert!(cmp("stdlib.lt", 1, 2));
    assert!(!cmp("stdlib.lt", 2, 2));
    assert!(cmp("stdlib.lte", 2, 2));
    assert!(!cmp("stdlib.eq-int", 1, 2));
}

#[test]
fn and_or_not_truth_tables() {
    let b2 = |m, a, b| {
        ok(
            m,
            &[("a", boolean(a)), ("b", boolean(b))],
            "out",
            CType::Boolean,
        )
    };
    for a in [false, true] {
        for b in [false, true] {
            assert_eq!(b2("stdlib.and", a, b), boolean(a && b), "and {a} {b}");
            assert_eq!(b2("stdlib.or", a, b), boolean(a || b), "or {a} {b}");
        }
        assert_eq!(
            ok(
                "stdlib.not",
                &[("value", boolean(a))],
                "out",
                CType::Boolean
            ),
            boolean(!a)
        );
    }
}

// ---------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------

#[test]
fn list_length() {
    assert_eq!(list_int("stdlib.list-length", &[1, 2, 3]), Ok(int(3)));
    assert_eq!(list_int("stdlib.list-length", &[]), Ok(int(0)));
}

#[test]
fn list_sum() {
    assert_eq!(list_int("stdlib.list-sum", &[1, 2, 3]), Ok(int(6)));
    assert_eq!(list_int("stdlib.list-sum", &[-4, 4]), Ok(int(0)));
    assert_eq!(list_int("stdlib.list-sum", &[]), Ok(int(0)));
    // Scala's `List[Long].sum` wraps.
    assert_eq!(
        list_int("stdlib.list-sum", &[i64::MAX, 1, -1]),
        Ok(int(i64::MAX))
    );
    assert_eq!(
        list_int("stdlib.list-sum", &[i64::MAX, 1]),
        Ok(int(i64::MIN))
    );
}

#[test]
fn list_first_and_last() {
    assert_eq!(list_int("stdlib.list-first", &[4, 5, 6]), Ok(int(4)));
    assert_eq!(list_int("stdlib.list-last", &[4, 5, 6]), Ok(int(6)));
    assert_eq!(list_int("stdlib.list-first", &[9]), Ok(int(9)));
    assert_eq!(list_int("stdlib.list-last", &[9]), Ok(int(9)));
}

#[test]
fn list_first_and_last_of_an_empty_list_are_module_errors() {
    let m = list_int("stdlib.list-first", &[]).unwrap_err();
    assert_contains(&m, &["list-first", "empty"]);
    let m = list_int("stdlib.list-last", &[]).unwrap_err();
    assert_contains(&m, &["list-last", "empty"]);
}

#[test]
fn list_is_empty() {
    let f = |l: &[i64]| {
        ok(
            "stdlib.list-is-empty",
            &[("list", ints(l))],
            "out",
            CType::Boolean,
        )
    };
    assert_eq!(f(&[]), boolean(true));
    assert_eq!(f(&[0]), boolean(false));
}

#[test]
fn list_reverse() {
    let f = |l: &[i64]| {
        ok(
            "stdlib.list-reverse",
            &[("list", ints(l))],
            "out",
            list_of(CType::Int),
        )
    };
    assert_eq!(f(&[1, 2, 3]), ints(&[3, 2, 1]));
    assert_eq!(f(&[7]), ints(&[7]));
    assert_eq!(f(&[]), ints(&[]));
}

#[test]
fn list_concat() {
    let f = |a: &[i64], b: &[i64]| {
        ok(
            "stdlib.list-concat",
            &[("a", ints(a)), ("b", ints(b))],
            "out",
            list_of(CType::Int),
        )
    };
    assert_eq!(f(&[1, 2], &[3]), ints(&[1, 2, 3]));
    assert_eq!(f(&[], &[3]), ints(&[3]));
    assert_eq!(f(&[1], &[]), ints(&[1]));
    assert_eq!(f(&[], &[]), ints(&[]));
    assert_eq!(f(&[2, 1], &[2, 1]), ints(&[2, 1, 2, 1]));
}

#[test]
fn list_contains() {
    let f = |l: &[i64], v| {
        ok(
            "stdlib.list-contains",
            &[("list", ints(l)), ("value", int(v))],
            "out",
            CType::Boolean,
        )
    };
    assert_eq!(f(&[1, 2, 3], 2), boolean(true));
    assert_eq!(f(&[1, 2, 3], 4), boolean(false));
    assert_eq!(f(&[], 0), boolean(false));
}

// ---------------------------------------------------------------------------
// Composition
// ---------------------------------------------------------------------------

/// `label ++ to-string((x + y) * z)`, and a division-by-zero branch that
/// fails without stopping the other.
#[test]
fn standard_modules_compose_and_a_failing_branch_is_isolated() {
    let registry = Registry::with_stdlib();
    let mut b = DagBuilder::seeded("compose", 3);
    let x = b.input("x", CType::Int);
    let y = b.input("y", CType::Int);
    let z = b.input("z", CType::Int);
    let label = b.input("label", CType::String);
    let add = b.module("stdlib.add");
    b.bind(x, add, "a");
    b.bind(y, add, "b");
    let sum = b.produce(add, "out", "sum", CType::Int);
    let mul = b.module("stdlib.multiply");
    b.bind(sum, mul, "a");
    b.bind(z, mul, "b");
    let product = b.produce(mul, "out", "product", CType::Int);
    let to_s = b.module("stdlib.to-string");
    b.bind(product, to_s, "value");
    let text = b.produce(to_s, "out", "text", CType::String);
    let cat = b.module("stdlib.concat");
    b.bind(label, cat, "a");
    b.bind(text, cat, "b");
    let line = b.produce(cat, "out", "line", CType::String);
    let div = b.module("stdlib.divide");
    b.bind(x, div, "a");
    b.bind(z, div, "b");
    let quotient = b.produce(div, "out", "quotient", CType::Int);
    let neg = b.module("stdlib.negate");
    b.bind(quotient, neg, "value");
    let negated = b.produce(neg, "out", "negated", CType::Int);
    b.output("line", line);
    b.output("negated", negated);
    let program = Program::load(&b.build(), &registry, &RuntimeConfig::default()).unwrap();
    let run = |z: i64| {
        let inputs = [
            (program.input("x").unwrap(), int(8)),
            (program.input("y").unwrap(), int(2)),
            (program.input("z").unwrap(), int(z)),
            (program.input("label").unwrap(), string("total=")),
        ];
        let r = program.run_sync(inputs).unwrap();
        (
            r.output_named("line").cloned(),
            r.output_named("negated").cloned(),
            r.failures(),
            r.skipped_count(),
        )
    };

    let (line, negated, failures, skipped) = run(4);
    assert_eq!(line, Some(string("total=40")));
    assert_eq!(negated, Some(int(-2)));
    assert!(failures.is_empty() && skipped == 0);

    let (line, negated, failures, skipped) = run(0);
    assert_eq!(line, Some(string("total=0")), "the independent branch ran");
    assert_eq!(negated, None, "the failed branch has no output");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].1.kind, FailureKind::Error);
    assert!(failures[0].1.message.contains("Division by zero"));
    assert_eq!(skipped, 1, "negate is skipped");

    // And the program still computes after the failure.
    let (line, negated, _, _) = run(-2);
    assert_eq!(line, Some(string("total=-20")));
    assert_eq!(negated, Some(int(4)));
}

#[test]
fn log_passes_its_message_through() {
    let f = |v| {
        ok(
            "stdlib.log",
            &[("message", string(v))],
            "out",
            CType::String,
        )
    };
    assert_eq!(f("hello"), string("hello"));
    assert_eq!(f(""), string(""));
}

#[test]
fn a_seq_feeds_a_list_module_and_a_list_feeds_a_seq_input() {
    let seq = CValue::seq(vec![int(1), int(2), int(3)], CType::Int);
    assert_eq!(
        ok(
            "stdlib.list-sum",
            &[("list", seq.clone())],
            "out",
            CType::Int
        ),
        int(6)
    );
    // The pipeline's input is a Seq<Int>; a List<Int> value is accepted for it.
    let spec = one_module_spec("stdlib.list-sum", &[("list", seq)], "out", &CType::Int);
    let program = Program::load(&spec, &Registry::with_stdlib(), &RuntimeConfig::default())
        .expect("List<Int> port, Seq<Int> node");
    assert_eq!(
        run_once(&program, &[("list", ints(&[4, 5]))]),
        Outcome::Value(int(9))
    );
}
