//! Pictures of a pipeline (`asterism::viz`): every node and edge is drawn,
//! each status has its colour and words, names that would break DOT or
//! Mermaid come out as written, and Graphviz renders what we write (where
//! `dot` is installed; otherwise those checks print a skip line).

mod support;

use std::time::Duration;

use asterism::viz::{Format, Picture};
use asterism::{
    CType, CValue, DagBuilder, InlineTransform, Module, Program, Registry, RunOptions,
    RuntimeConfig,
};
use support::{parse_dot, parse_mermaid, render_svg, svg_texts, Dot};

/// The first eight hex digits of a UUID, as labels show them.
fn short(uuid: uuid::Uuid) -> String {
    uuid.to_string()[..8].to_owned()
}

/// A pipeline whose one run shows every terminal status:
///
/// ```text
/// x -> stdlib.negate -> neg          (completed; output)
/// x -> boom -> b -> stdlib.negate -> after    (failed, then skipped)
///           b -> ListLiteral -> blist         (skipped transform)
/// x -> slow -> late                  (timed out: 50 ms against 10 ms)
/// Literal 3 -> three                 (completed transform; output)
/// ```
struct Statuses {
    program: Program,
    ok: String,
    after: String,
    boom: String,
}

fn statuses(config: &RuntimeConfig) -> Statuses {
    let mut reg = Registry::with_stdlib();
    reg.register(Module::sync("boom", ["v"], "out", |_: i64| {
        Err::<i64, _>("no good")
    }));
    reg.register(Module::asynchronous(
        "slow",
        ["v"],
        "out",
        |v: i64| async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            v
        },
    ));
    let mut b = DagBuilder::seeded("statuses", 17);
    let x = b.input("x", CType::Int);
    let ok = b.module("stdlib.negate");
    b.bind(x, ok, "value");
    let neg = b.produce(ok, "out", "neg", CType::Int);
    b.output("neg", neg);
    let boom = b.module("boom");
    b.bind(x, boom, "v");
    let bad = b.produce(boom, "out", "b", CType::Int);
    let after = b.module("stdlib.negate");
    b.bind(bad, after, "value");
    let after_out = b.produce(after, "out", "after", CType::Int);
    b.output("after", after_out);
    let list = b.transform(
        "blist",
        CType::list(CType::Int),
        InlineTransform::ListLiteral { len: 1 },
        &[("elem0", bad)],
    );
    b.output("blist", list);
    let slow = b.module("slow");
    b.timeout_ms(slow, 10);
    b.bind(x, slow, "v");
    let late = b.produce(slow, "out", "late", CType::Int);
    b.output("late", late);
    let three = b.transform(
        "three",
        CType::Int,
        InlineTransform::Literal {
            value: CValue::Int(3),
        },
        &[],
    );
    b.output("three", three);
    let uuid = |m| short(b.module_uuid(m).unwrap());
    let (ok, after, boom) = (uuid(ok), uuid(after), uuid(boom));
    let program = Program::load(&b.build(), &reg, config).unwrap();
    Statuses {
        program,
        ok,
        after,
        boom,
    }
}

fn every_execution() -> RuntimeConfig {
    RuntimeConfig::default().with_latency_sampled(std::num::NonZeroU32::MIN)
}

/// The `(from, to, label)` edges of a picture, ends named by their nodes'
/// first label lines.
fn named_edges(dot: &Dot) -> Vec<(String, String, Option<String>)> {
    let first = |id: &str| dot.node(id).lines()[0].to_owned();
    let mut edges: Vec<_> = dot
        .edges
        .iter()
        .map(|e| (first(&e.from), first(&e.to), e.label.clone()))
        .collect();
    edges.sort();
    edges
}

fn edge(from: &str, to: &str, label: Option<&str>) -> (String, String, Option<String>) {
    (from.to_owned(), to.to_owned(), label.map(str::to_owned))
}

#[tokio::test(start_paused = true)]
async fn a_plain_picture_draws_every_node_and_edge_with_readable_labels() {
    let s = statuses(&every_execution());
    let plan = s.program.plan();
    let dot = parse_dot(&Picture::of_plan(plan).to_dot());
    assert_eq!(dot.title(), ["pipeline statuses"]);
    // 4 modules, 2 transforms, 7 data nodes.
    assert_eq!(dot.nodes.len(), 13, "{dot:#?}");
    let ok = format!("stdlib.negate ({})", s.ok);
    let after = format!("stdlib.negate ({})", s.after);
    assert_eq!(named_edges(&dot), {
        let mut want = vec![
            edge("x: Int", &ok, Some("value")),
            edge(&ok, "neg: Int", None),
            edge("x: Int", "boom", Some("v")),
            edge("boom", "b: Int", None),
            edge("b: Int", &after, Some("value")),
            edge(&after, "after: Int", None),
            edge("b: Int", "ListLiteral [1 elements]", None),
            edge("ListLiteral [1 elements]", "blist: List<Int>", None),
            edge("x: Int", "slow", Some("v")),
            edge("slow", "late: Int", None),
            edge("Literal 3", "three: Int", None),
        ];
        want.sort();
        want
    });
    // Inputs, outputs, intermediate data, modules and transforms are told
    // apart by shape and say what they are.
    let x = dot.node_named("x: Int");
    assert_eq!(x.lines(), ["x: Int", "input"]);
    assert_eq!(x.attr("shape"), Some("parallelogram"));
    let neg = dot.node_named("neg: Int");
    assert_eq!(neg.lines(), ["neg: Int", "output"]);
    assert_eq!(neg.attr("peripheries"), Some("2"));
    let b = dot.node_named("b: Int");
    assert_eq!(b.lines(), ["b: Int"]);
    assert_eq!(b.attr("shape"), Some("ellipse"));
    assert_eq!(b.attr("peripheries"), None);
    assert_eq!(dot.node_named("boom").attr("shape"), Some("box"));
    assert_eq!(dot.node_named("Literal 3").attr("shape"), Some("hexagon"));
    // No statuses in a plain picture: every module has its role's colours.
    for n in dot.nodes.iter().filter(|n| n.id.starts_with('m')) {
        assert_eq!(n.attr("fillcolor"), Some("#e3f2fd"), "{n:?}");
        assert_eq!(n.lines().len(), 1, "{n:?}");
    }
    if let Some(svg) = render_svg(&Picture::of_plan(plan).to_dot(), "the plain picture") {
        let texts = svg_texts(&svg);
        for want in [
            "x: Int",
            "boom",
            ok.as_str(),
            "Literal 3",
            "blist: List<Int>",
        ] {
            assert!(texts.iter().any(|t| t == want), "{want:?} in {texts:?}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_run_picture_colours_each_node_by_status_with_latency_and_cause() {
    let s = statuses(&every_execution());
    let x = s.program.input("x").unwrap();
    let result = s.program.run([(x, CValue::Int(4))]).await.unwrap();
    let picture = Picture::of_run(&result);
    drop(result); // the picture keeps what it draws
    let text = picture.to_dot();
    let dot = parse_dot(&text);
    let title = dot.title();
    assert_eq!(title[0], "pipeline statuses");
    assert!(
        title[1].starts_with("run: 2 failed, 2 skipped in "),
        "{title:?}"
    );

    let is_latency = |line: &str, word: &str| {
        let rest = line.strip_prefix(&format!("{word} in ")).unwrap_or("");
        let (number, unit) = rest.split_once(' ').unwrap_or(("", ""));
        number.parse::<f64>().is_ok() && (unit == "µs" || unit == "ms")
    };
    let ok = dot.node_named(&format!("stdlib.negate ({})", s.ok));
    assert_eq!(ok.attr("fillcolor"), Some("#c8e6c9"));
    assert!(is_latency(ok.lines()[1], "completed"), "{ok:?}");

    let boom = dot.node_named("boom");
    assert_eq!(boom.attr("fillcolor"), Some("#ffcdd2"));
    assert!(is_latency(boom.lines()[1], "failed"), "{boom:?}");
    assert_eq!(boom.lines()[2], "no good");

    let after = dot.node_named(&format!("stdlib.negate ({})", s.after));
    assert_eq!(after.attr("fillcolor"), Some("#eeeeee"));
    assert!(after.attr("style").unwrap().contains("dashed"));
    assert_eq!(
        after.lines()[1..],
        [
            "skipped: upstream failed".to_owned(),
            format!("boom ({})", s.boom)
        ]
    );

    let list = dot.node_named("ListLiteral [1 elements]");
    assert_eq!(list.attr("fillcolor"), Some("#eeeeee"));
    assert_eq!(list.lines()[1], "skipped: upstream failed");

    let slow = dot.node_named("slow");
    assert_eq!(slow.attr("fillcolor"), Some("#ffe0b2"));
    assert!(slow.lines()[1].starts_with("timed out"), "{slow:?}");
    assert_eq!(slow.lines()[2], "timed out after 10 ms");

    // Transforms record no latency.
    let three = dot.node_named("Literal 3");
    assert_eq!(three.attr("fillcolor"), Some("#c8e6c9"));
    assert_eq!(three.lines()[1..], ["completed"]);

    // Data nodes: values present keep their role's look; missing ones say so.
    assert_eq!(dot.node_named("neg: Int").lines(), ["neg: Int", "output"]);
    assert_eq!(
        dot.node_named("three: Int").lines(),
        ["three: Int", "output"]
    );
    for missing in ["b: Int", "after: Int", "blist: List<Int>", "late: Int"] {
        let n = dot.node_named(missing);
        assert_eq!(n.lines().last(), Some(&"no value"), "{n:?}");
        assert!(n.attr("style").unwrap().contains("dashed"), "{n:?}");
    }

    // Mermaid agrees: same nodes and edges, a class per status.
    let m = parse_mermaid(&picture.render(Format::Mermaid));
    assert_eq!(m.title, dot.title().join(" · "));
    assert_eq!(m.nodes.len(), dot.nodes.len());
    for n in &dot.nodes {
        let mn = m.nodes.iter().find(|mn| mn.id == n.id).unwrap();
        assert_eq!(mn.lines, n.lines(), "{}", n.id);
    }
    let mut dot_edges: Vec<_> = dot.edges.clone();
    let mut mermaid_edges: Vec<_> = m.edges.clone();
    dot_edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    mermaid_edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    assert_eq!(dot_edges, mermaid_edges);
    assert_eq!(m.class_of(&ok.id), "completed");
    assert_eq!(m.class_of(&boom.id), "failed");
    assert_eq!(m.class_of(&after.id), "skipped");
    assert_eq!(m.class_of(&slow.id), "timedout");
    assert_eq!(m.class_of(&dot.node_named("b: Int").id), "novalue");
    assert_eq!(m.class_of(&dot.node_named("x: Int").id), "input");
    assert_eq!(m.class_of(&dot.node_named("neg: Int").id), "output");
    let shape = |first: &str| {
        let id = &dot.node_named(first).id;
        m.nodes.iter().find(|n| &n.id == id).unwrap().open.clone()
    };
    assert_eq!(shape("boom"), "[");
    assert_eq!(shape("Literal 3"), "{{");
    assert_eq!(shape("x: Int"), "[/");
    assert_eq!(shape("neg: Int"), "([");
    assert_eq!(shape("b: Int"), "(");
    for (class, _) in &m.class_defs {
        assert!(m.classes.iter().any(|(_, c)| c == class), "{class} used");
    }

    if let Some(svg) = render_svg(&text, "the run picture") {
        let texts = svg_texts(&svg);
        for want in [
            "no good",
            "skipped: upstream failed",
            "timed out after 10 ms",
        ] {
            assert!(texts.iter().any(|t| t == want), "{want:?} in {texts:?}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_run_without_recorded_latencies_labels_none() {
    let mut config = RuntimeConfig::default();
    config.modules.record_latency = false;
    let s = statuses(&config);
    let x = s.program.input("x").unwrap();
    let result = s.program.run([(x, CValue::Int(4))]).await.unwrap();
    let dot = parse_dot(&Picture::of_run(&result).to_dot());
    let ok = dot.node_named(&format!("stdlib.negate ({})", s.ok));
    assert_eq!(ok.lines()[1..], ["completed"]);
    assert_eq!(dot.node_named("boom").lines()[1..], ["failed", "no good"]);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_node_and_the_deadline_are_drawn() {
    let mut reg = Registry::new();
    reg.register(Module::asynchronous(
        "wait",
        ["v"],
        "out",
        |v: i64| async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            v
        },
    ));
    let mut b = DagBuilder::seeded("late", 5);
    let x = b.input("x", CType::Int);
    let w = b.module("wait");
    b.bind(x, w, "v");
    let y = b.produce(w, "out", "y", CType::Int);
    b.output("y", y);
    let program = Program::load(&b.build(), &reg, &RuntimeConfig::default()).unwrap();
    let x = program.input("x").unwrap();
    let options = RunOptions::with_timeout(Duration::from_millis(5));
    let result = program
        .run_with([(x, CValue::Int(1))], &options)
        .await
        .unwrap();
    assert!(result.deadline_exceeded());
    let text = Picture::of_run(&result).to_dot();
    let dot = parse_dot(&text);
    assert!(
        dot.title()[1].starts_with("run: deadline exceeded in "),
        "{:?}",
        dot.title()
    );
    let wait = dot.node_named("wait");
    assert_eq!(wait.lines()[1..], ["cancelled"]);
    assert_eq!(wait.attr("fillcolor"), Some("#e1bee7"));
    render_svg(&text, "the cancelled run");
}

#[test]
fn names_that_break_dot_or_mermaid_come_out_as_written() {
    const MODULE: &str = r#"we"ird\mod<x>{y}|z#1&"#;
    const PARAM: &str = r#"p"<q>|\l"#;
    const INPUT: &str = "in\n\"put\"";
    const MIDDLE: &str = r"mid<dle>{x}|y\N";
    const OUTPUT: &str = r#"out "put" \G"#;
    const MESSAGE: &str = "bad \"thing\" <b>\\ here";
    let mut reg = Registry::with_stdlib();
    reg.register(Module::sync(MODULE, [PARAM], "o{u}t", |v: i64| {
        if v == 0 {
            Err(MESSAGE)
        } else {
            Ok(v)
        }
    }));
    let mut b = DagBuilder::seeded("pipe \"line\" \\ <x>", 9);
    let x = b.input(INPUT, CType::Int);
    let m = b.module(MODULE);
    b.bind(x, m, PARAM);
    let mid = b.produce(m, "o{u}t", MIDDLE, CType::Int);
    b.output(OUTPUT, mid);
    let lit = b.transform(
        "lit",
        CType::String,
        InlineTransform::Literal {
            value: CValue::String("#35; & <b>\"".into()),
        },
        &[],
    );
    b.output("lit", lit);
    let program = Program::load(&b.build(), &reg, &RuntimeConfig::default()).unwrap();
    let x = program.input(INPUT).unwrap();
    let result = program.run_sync([(x, CValue::Int(0))]).unwrap();

    let module_lines = ["we\"ird\\mod<x>{y}|z#1&"];
    let literal = r##"Literal "#35; & <b>\"""##;
    for (what, picture) in [
        ("plain", Picture::of_plan(program.plan())),
        ("run", Picture::of_run(&result)),
    ] {
        let text = picture.to_dot();
        let dot = parse_dot(&text);
        assert_eq!(dot.title()[0], "pipeline pipe \"line\" \\ <x>", "{what}");
        let module = dot.node_named(module_lines[0]);
        let input = dot.node_named("in");
        assert_eq!(input.lines(), ["in", "\"put\": Int", "input"], "{what}");
        let middle = dot.node_named(&format!("{MIDDLE}: Int"));
        assert_eq!(middle.lines()[1], format!("output `{OUTPUT}`"), "{what}");
        dot.node_named(literal);
        let param = dot
            .edges
            .iter()
            .find(|e| e.to == module.id)
            .and_then(|e| e.label.clone());
        assert_eq!(param.as_deref(), Some(PARAM), "{what}");
        if picture.has_run() {
            assert_eq!(module.lines()[2], MESSAGE);
        }

        let mermaid = parse_mermaid(&picture.to_mermaid());
        assert!(mermaid
            .title
            .starts_with(r#"pipeline pipe \"line\" \\ <x>"#));
        let lines_of = |id: &str| {
            mermaid
                .nodes
                .iter()
                .find(|n| n.id == id)
                .unwrap()
                .lines
                .clone()
        };
        assert_eq!(lines_of(&module.id), module.lines(), "{what}");
        assert_eq!(lines_of(&input.id), input.lines(), "{what}");
        assert_eq!(lines_of(&middle.id), middle.lines(), "{what}");
        let param = mermaid
            .edges
            .iter()
            .find(|e| e.to == module.id)
            .and_then(|e| e.label.clone());
        assert_eq!(param.as_deref(), Some(PARAM), "{what}");

        if let Some(svg) = render_svg(&text, &format!("the {what} picture with hostile names")) {
            let texts = svg_texts(&svg);
            let mut want = vec![
                module_lines[0].to_owned(),
                "in".to_owned(),
                "\"put\": Int".to_owned(),
                format!("{MIDDLE}: Int"),
                format!("output `{OUTPUT}`"),
                literal.to_owned(),
                PARAM.to_owned(),
            ];
            if picture.has_run() {
                want.push(MESSAGE.to_owned());
            }
            for w in want {
                assert!(texts.contains(&w), "{what}: {w:?} in {texts:?}");
            }
        }
    }
}

#[test]
fn formats_have_names() {
    assert_eq!("dot".parse::<Format>(), Ok(Format::Dot));
    assert_eq!("Mermaid".parse::<Format>(), Ok(Format::Mermaid));
    let err = "svg".parse::<Format>().unwrap_err();
    assert!(err.to_string().contains("`svg`"), "{err}");
    assert_eq!(Format::Mermaid.to_string(), "mermaid");
}

#[test]
fn statuses_have_words() {
    use asterism::runtime::NodeStatus;
    use asterism::viz::status_word;
    assert_eq!(status_word(&NodeStatus::Waiting), "not run");
    assert_eq!(status_word(&NodeStatus::Running), "not run");
    assert_eq!(status_word(&NodeStatus::Cancelled), "cancelled");
    assert_eq!(
        status_word(&NodeStatus::Completed { latency: None }),
        "completed"
    );
}
