//! Malformed programs, each with the diagnostic it must give: the code,
//! words of the message and of the help, and (as an insta snapshot) the
//! whole rendering with `file:line:col`, the line, and the caret.

mod common;

use asterism_lang::{compile_with, Options};

struct Case {
    name: &'static str,
    source: &'static str,
    code: &'static str,
    message: &'static str,
    help: Option<&'static str>,
}

const fn case(
    name: &'static str,
    source: &'static str,
    code: &'static str,
    message: &'static str,
    help: Option<&'static str>,
) -> Case {
    Case {
        name,
        source,
        code,
        message,
        help,
    }
}

const CASES: &[Case] = &[
    case(
        "unknown_function",
        "in name: String\nx = conact(name, name)\nout x\n",
        "E123",
        "unknown function `conact`",
        Some("did you mean `concat`?"),
    ),
    case(
        "undefined_variable",
        "in name: String\nx = trim(nme)\nout x\n",
        "E106",
        "undefined variable `nme`",
        Some("did you mean `name`?"),
    ),
    case(
        "argument_type",
        "in name: String\nx = concat(name, 1)\nout x\n",
        "E130",
        "argument `b` of `stdlib.concat` expects String, got Int",
        None,
    ),
    case(
        "missing_equals",
        "in a: String\nx trim(a)\nout x\n",
        "E002",
        "expected a declaration",
        Some("`x = expression`"),
    ),
    case(
        "unclosed_string",
        "x = \"hello\nout x\n",
        "E011",
        "this string is not closed",
        Some("add a `\"`"),
    ),
    case(
        "unknown_option",
        "in a: String\nx = trim(a) with retyr: 3\nout x\n",
        "E013",
        "unknown option `retyr`",
        Some("did you mean `retry`?"),
    ),
    case(
        "duration_unit",
        "in a: String\nx = trim(a) with timeout: 3sec\nout x\n",
        "E014",
        "unknown duration unit `sec`",
        Some("did you mean `3s`?"),
    ),
    case(
        "duration_without_unit",
        "in a: String\nx = trim(a) with timeout: 30\nout x\n",
        "E132",
        "`timeout` takes a duration",
        Some("`30ms`"),
    ),
    case(
        "unknown_type",
        "in a: Strng\nout a\n",
        "E107",
        "undefined type `Strng`",
        Some("did you mean `String`?"),
    ),
    case(
        "no_output",
        "in a: Int\nx = a + 1\n",
        "E104",
        "the program declares no output",
        Some("`out name`"),
    ),
    case(
        "branch_without_otherwise",
        "in a: Int\nx = branch { a > 1 -> \"big\" }\nout x\n",
        "E016",
        "a branch needs an `otherwise` case",
        Some("otherwise -> value"),
    ),
    case(
        "if_types_differ",
        "in a: Int\nx = if (a > 1) \"big\" else 0\nout x\n",
        "E114",
        "the branches of `if` have different types: String and Int",
        None,
    ),
    case(
        "ampersand_and",
        "in a: Boolean\nin b: Boolean\nx = a && b\nout x\n",
        "E002",
        "found `&&`",
        Some("write `and`"),
    ),
    case(
        "string_ordering",
        "in a: String\nin b: String\nx = a < b\nout x\n",
        "E120",
        "cannot compare String < String",
        Some("compare two Ints"),
    ),
    case(
        "string_plus",
        "in a: String\nin b: String\nx = a + b\nout x\n",
        "E122",
        "cannot apply `+` to String and String",
        Some("concat(a, b)"),
    ),
    case(
        "coalesce_not_optional",
        "in a: Int\nx = a ?? 0\nout x\n",
        "E115",
        "the left side of `??` must be Optional, got Int",
        Some("`when`"),
    ),
    case(
        "no_such_field",
        "type User = { name: String, age: Int }\nin u: User\nx = u.nmae\nout x\n",
        "E116",
        "no field `nmae`",
        Some("did you mean `name`?"),
    ),
    case(
        "projection_field",
        "type User = { name: String, age: Int }\nin u: User\nx = u[name, agee]\nout x\n",
        "E116",
        "no field `agee`",
        Some("did you mean `age`?"),
    ),
    case(
        "lambda",
        "in xs: List<Int>\nys = filter(xs, (x) => x > 1)\nout ys\n",
        "E012",
        "lambdas are not supported yet",
        Some("#19"),
    ),
    case(
        "match",
        "in a: Int\nx = match a { _ -> 1 }\nout x\n",
        "E012",
        "`match` expressions are not supported yet",
        Some("#19"),
    ),
    case(
        "keyword_as_name",
        "in in: Int\nout in\n",
        "E003",
        "`in` is a keyword",
        Some("choose another name"),
    ),
    case(
        "chained_comparison",
        "in a: Int\nx = 1 < a < 3\nout x\n",
        "E006",
        "comparisons do not chain",
        Some("`and`"),
    ),
    case(
        "too_many_arguments",
        "in a: String\nx = trim(a, a)\nout x\n",
        "E126",
        "`trim` takes 1 argument, got more",
        Some("`value: String`"),
    ),
    case(
        "unknown_named_argument",
        "in a: String\nx = trim(valeu: a)\nout x\n",
        "E127",
        "`stdlib.trim` has no parameter `valeu`",
        Some("did you mean `value`?"),
    ),
    case(
        "example_type",
        "@example(\"five\")\nin a: Int\nout a\n",
        "E112",
        "the example is String, but the input is Int",
        None,
    ),
    case(
        "undefined_output",
        "in a: Int\nout b\n",
        "E106",
        "undefined variable `b`",
        None,
    ),
    case(
        "duplicate_input",
        "in a: Int\nin a: String\nout a\n",
        "E102",
        "the input `a` is declared twice",
        None,
    ),
    case(
        "unknown_annotation",
        "@exmple(1)\nin a: Int\nout a\n",
        "E005",
        "unknown annotation `@exmple`",
        Some("did you mean `@example`?"),
    ),
    case(
        "priority_word",
        "in a: String\nx = trim(a) with priority: hihg\nout x\n",
        "E132",
        "`priority` takes one of critical, high, normal, low, background",
        Some("did you mean `high`?"),
    ),
    case(
        "unknown_escape",
        "x = \"a\\qb\"\nout x\n",
        "E017",
        "unknown escape `\\q`",
        None,
    ),
    case(
        "stray_character",
        "in a: Int\nx = a $ 1\nout x\n",
        "E001",
        "unexpected character `$`",
        None,
    ),
    case(
        "int_overflow",
        "x = 99999999999999999999\nout x\n",
        "E008",
        "does not fit in an Int",
        None,
    ),
    case(
        "missing_argument",
        "in a: String\nx = concat(a)\nout x\n",
        "E129",
        "`concat` is missing the argument `b`",
        None,
    ),
    case(
        "throttle_not_rate",
        "in a: String\nx = trim(a) with throttle: 10\nout x\n",
        "E132",
        "`throttle` takes a rate",
        Some("`10/1s`"),
    ),
    case(
        "unknown_namespace",
        "use stdlb.math\nin a: Int\nout a\n",
        "E105",
        "unknown namespace `stdlb.math`",
        Some("did you mean `stdlib`?"),
    ),
    case(
        "fallback_type",
        "in a: String\nx = trim(a) with fallback: 3\nout x\n",
        "E130",
        "`fallback` expects String, got Int",
        None,
    ),
    case(
        "shadowed_input",
        "in a: Int\nin b: Int\nb = a + 1\nout b\n",
        "E133",
        "the input `b` is assigned before it is read",
        Some("another name"),
    ),
];

fn render(source: &str) -> asterism_lang::Diagnostics {
    let opts = Options {
        file: "prog.cst".into(),
        ..Options::default()
    };
    compile_with(source, &common::stdlib(), &opts).expect_err("the program is malformed")
}

#[test]
fn every_malformed_program_gives_its_diagnostic() {
    assert!(CASES.len() >= 20);
    for c in CASES {
        let d = render(c.source);
        let first = &d.items()[0];
        assert_eq!(first.code, c.code, "{}: {d}", c.name);
        assert!(
            first.message.contains(c.message),
            "{}: message {:?} lacks {:?}",
            c.name,
            first.message,
            c.message
        );
        if let Some(h) = c.help {
            let help = first.help.as_deref().unwrap_or("");
            assert!(help.contains(h), "{}: help {help:?} lacks {h:?}", c.name);
        }
        let text = d.to_string();
        assert!(text.contains("prog.cst:"), "{}: no position", c.name);
        insta::assert_snapshot!(c.name, text);
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let d = render(
        "in name: Strng\nx = conact(name, name)\ny = trim(nme) with retry: 3, timeout: 5\nz = 1 +\nout x\nout y\n",
    );
    let codes: Vec<&str> = d.items().iter().map(|i| i.code).collect();
    assert_eq!(codes, ["E107", "E123", "E106", "E132", "E002"], "{d}");
    let lines: Vec<usize> = d
        .items()
        .iter()
        .map(|i| d.line_col(i.span.start).0)
        .collect();
    assert_eq!(lines, [1, 2, 3, 3, 4]);
    insta::assert_snapshot!("five_problems", d.to_string());
}

#[test]
fn a_failed_declaration_silences_follow_on_errors() {
    // `x` fails to parse; its uses must not add "undefined variable".
    let d = render("in a: Int\nx = (a +\ny = x * 2\nout y\n");
    assert_eq!(d.items().len(), 1, "{d}");
}

/// The original runs a pipeline with an input nothing reads (its literal
/// tests rely on it): such a program compiles, and the input stays one.
#[test]
fn an_input_nothing_reads_is_accepted() {
    let opts = Options {
        file: "prog.cst".into(),
        ..Options::default()
    };
    let c = compile_with(
        "in a: Int\nin b: Int\nx = a + 1\nout x\n",
        &common::stdlib(),
        &opts,
    )
    .unwrap_or_else(|d| panic!("{d}"));
    assert!(
        c.spec.data.values().any(|d| d.name == "b"),
        "b is still an input"
    );
}
