//! End-to-end tests of the CLI's pictures: `asterism dot FILE` (DOT and
//! Mermaid) for every example, and `asterism run ... --dot PATH`, whose
//! picture colours each node by its status. Every DOT picture is rendered
//! with Graphviz where `dot` is installed.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use support::{parse_dot, parse_mermaid, render_svg};

const EXAMPLES: [(&str, &str); 4] = [
    ("examples/diamond.json", r#"{"x": 7, "y": 5}"#),
    ("examples/text.json", r#"{"text": "  Hello World "}"#),
    (
        "examples/fan_in_records.json",
        r#"{"price": 12, "qty": 3, "discount": 4}"#,
    ),
    ("examples/failing_branch.json", r#"{"a": 7, "b": 0}"#),
];
const FAILING: (&str, &str) = EXAMPLES[3];

#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn asterism(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_asterism"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .env_remove("RUST_BACKTRACE")
        .args(args)
        .output()
        .expect("the asterism binary starts");
    let out = Out {
        code: out.status.code().expect("asterism exits with a code"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    };
    assert!(!out.stderr.contains("panicked"), "{out:#?}");
    out
}

/// A path under the temp dir, unique to this test, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(name: &str) -> TempPath {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        TempPath(std::env::temp_dir().join(format!(
            "asterism-picture-test-{}-{n}-{name}",
            std::process::id()
        )))
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("temp path is UTF-8")
    }

    fn read(&self) -> String {
        std::fs::read_to_string(&self.0).expect("the picture was written")
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `(modules, transforms, data nodes)` as `asterism check` counts them.
fn counts(file: &str) -> (usize, usize, usize) {
    let out = asterism(&["check", file]);
    assert_eq!(out.code, 0, "{out:#?}");
    let line = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("modules:"))
        .unwrap();
    let numbers: Vec<usize> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    (numbers[0], numbers[1], numbers[2])
}

#[test]
fn dot_draws_every_example_and_graphviz_renders_it() {
    for (file, _) in EXAMPLES {
        let out = asterism(&["dot", file]);
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{file}: {out:#?}");
        let dot = parse_dot(&out.stdout);
        let (modules, transforms, data) = counts(file);
        let ids = |prefix: char| {
            dot.nodes
                .iter()
                .filter(|n| n.id.starts_with(prefix))
                .count()
        };
        assert_eq!(
            (ids('m'), ids('t'), ids('d')),
            (modules, transforms, data),
            "{file}"
        );
        assert_eq!(dot.nodes.len(), modules + transforms + data, "{file}");
        // Every node is on an edge, and every edge joins drawn nodes.
        for n in &dot.nodes {
            assert!(
                dot.edges.iter().any(|e| e.from == n.id || e.to == n.id),
                "{file}: {n:?} is on no edge"
            );
        }
        for e in &dot.edges {
            dot.node(&e.from);
            dot.node(&e.to);
        }
        render_svg(&out.stdout, &format!("`asterism dot {file}`"));
    }
    // The diamond's own names are in the labels.
    let dot = parse_dot(&asterism(&["dot", "examples/diamond.json"]).stdout);
    assert_eq!(dot.node_named("x: Int").lines(), ["x: Int", "input"]);
    for name in ["diamond.add", "diamond.subtract", "diamond.multiply"] {
        assert_eq!(dot.node_named(name).attr("shape"), Some("box"));
    }
}

#[test]
fn dot_format_mermaid_prints_the_same_graph_as_a_flowchart() {
    for (file, _) in EXAMPLES {
        let dot = parse_dot(&asterism(&["dot", file]).stdout);
        let out = asterism(&["dot", "--format", "mermaid", file]);
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{file}: {out:#?}");
        let m = parse_mermaid(&out.stdout);
        assert_eq!(m.title, dot.title().join(" · "), "{file}");
        assert_eq!(m.nodes.len(), dot.nodes.len(), "{file}");
        for n in &dot.nodes {
            let mn = m.nodes.iter().find(|mn| mn.id == n.id).unwrap();
            assert_eq!(mn.lines, n.lines(), "{file}: {}", n.id);
        }
        assert_eq!(m.edges.len(), dot.edges.len(), "{file}");
        for e in &dot.edges {
            assert!(m.edges.contains(e), "{file}: {e:?}");
        }
    }
}

#[test]
fn run_dot_colours_the_failed_the_skipped_and_the_completed() {
    let (file, inputs) = FAILING;
    let picture = TempPath::new("failing.dot");
    let out = asterism(&["run", file, "--inputs", inputs, "--dot", picture.path()]);
    // The run's own behaviour is unchanged: exit 2, outputs, problems.
    assert_eq!(out.code, 2, "{out:#?}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v, serde_json::json!({"quotient_plus_a": null, "sum": 7}));
    assert!(out.stderr.contains("failed"), "{out:#?}");

    let text = picture.read();
    let dot = parse_dot(&text);
    assert!(dot.title()[1].starts_with("run: 1 failed, 1 skipped in "));
    let divide = dot.node_named("stdlib.divide");
    assert_eq!(divide.attr("fillcolor"), Some("#ffcdd2"));
    assert!(divide.lines()[1].starts_with("failed in "), "{divide:?}");
    assert!(divide.lines()[2].contains("Division by zero"), "{divide:?}");
    let skipped = dot.node_named("stdlib.add (c5f74be2)");
    assert_eq!(skipped.attr("fillcolor"), Some("#eeeeee"));
    assert_eq!(
        skipped.lines()[1..],
        ["skipped: upstream failed", "stdlib.divide (45df606a)"]
    );
    let completed = dot.node_named("stdlib.add (d4c3606a)");
    assert_eq!(completed.attr("fillcolor"), Some("#c8e6c9"));
    assert!(
        completed.lines()[1].starts_with("completed in "),
        "{completed:?}"
    );
    assert_eq!(
        dot.node_named("quotient_plus_a: Int").lines(),
        ["quotient_plus_a: Int", "output", "no value"]
    );
    render_svg(&text, "`asterism run examples/failing_branch.json --dot`");

    // A `.mmd` path gets Mermaid, with the same classes.
    let mermaid = TempPath::new("failing.mmd");
    let out = asterism(&["run", file, "--inputs", inputs, "--dot", mermaid.path()]);
    assert_eq!(out.code, 2, "{out:#?}");
    let m = parse_mermaid(&mermaid.read());
    assert_eq!(m.class_of(&divide.id), "failed");
    assert_eq!(m.class_of(&skipped.id), "skipped");
    assert_eq!(m.class_of(&completed.id), "completed");
}

#[test]
fn run_dot_of_every_example_renders() {
    for (file, inputs) in EXAMPLES {
        let picture = TempPath::new("example.dot");
        let out = asterism(&["run", file, "--inputs", inputs, "--dot", picture.path()]);
        assert!(out.code == 0 || out.code == 2, "{file}: {out:#?}");
        let text = picture.read();
        let dot = parse_dot(&text);
        if out.code == 0 {
            assert!(dot.title()[1].starts_with("run succeeded in "), "{file}");
            for n in dot.nodes.iter().filter(|n| !n.id.starts_with('d')) {
                assert_eq!(n.attr("fillcolor"), Some("#c8e6c9"), "{file}: {n:?}");
            }
        }
        render_svg(&text, &format!("`asterism run {file} --dot`"));
    }
}

#[test]
fn picture_problems_exit_1_and_are_named() {
    // A spec that does not load.
    let out = asterism(&["dot", "examples/no-such-file.json"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.starts_with("error: cannot read spec"),
        "{out:#?}"
    );
    // An unknown format.
    let out = asterism(&["dot", "--format", "svg", "examples/diamond.json"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(out.stderr.contains("svg"), "{out:#?}");
    // A picture that cannot be written: the outputs are still printed.
    let dir = TempPath::new("not-a-dir");
    std::fs::write(&dir.0, "a file, not a directory").unwrap();
    let path = format!("{}/picture.dot", dir.path());
    let (file, inputs) = EXAMPLES[0];
    let out = asterism(&["run", file, "--inputs", inputs, "--dot", &path]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(out.stdout.contains("\"sum\": 12"), "{out:#?}");
    assert!(
        out.stderr.contains("cannot write the picture to") && out.stderr.contains(&path),
        "{out:#?}"
    );
}
