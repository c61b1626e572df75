//! Graphviz DOT output.
//!
//! Every label is a quoted string with plain (not record, not HTML) shapes,
//! so `<>{}|` are ordinary characters; inside the quotes a backslash is
//! doubled (Graphviz reads `\N`, `\G`, `\l` and friends as escapes), a quote
//! is `\"`, and a line break is `\n`. Node identifiers are `m0`, `t0`,
//! `d0`, never names.

use std::fmt::Write as _;

use super::graph::{Graph, Node, Role, Shade};

const FONT: &str = "Helvetica";

/// `g` as a DOT digraph.
pub(crate) fn write(g: &Graph<'_>) -> String {
    let mut s = String::new();
    s.push_str("digraph asterism {\n");
    let _ = writeln!(
        s,
        "  graph [rankdir=LR, labelloc=t, fontname=\"{FONT}\", fontsize=12, label=\"{}\"];",
        lines(&g.title)
    );
    let _ = writeln!(
        s,
        "  node [fontname=\"{FONT}\", fontsize=11, style=filled, penwidth=1.2];"
    );
    let _ = writeln!(
        s,
        "  edge [fontname=\"{FONT}\", fontsize=9, color=\"#607d8b\", fontcolor=\"#455a64\"];"
    );
    for n in &g.nodes {
        node(&mut s, n);
    }
    for e in &g.edges {
        let _ = write!(s, "  {} -> {}", e.from, e.to);
        if let Some(label) = &e.label {
            let _ = write!(s, " [label=\"{}\"]", escape(label));
        }
        s.push_str(";\n");
    }
    s.push_str("}\n");
    s
}

fn node(s: &mut String, n: &Node) {
    let shape = match n.role {
        Role::Module => "box",
        Role::Transform => "hexagon",
        Role::Input => "parallelogram",
        Role::Output | Role::Data => "ellipse",
    };
    let (fill, border) = n.shade.colours().unwrap_or_else(|| n.role.colours());
    let mut style = vec!["filled"];
    if n.role == Role::Module {
        style.push("rounded");
    }
    if n.shade.dashed() {
        style.push("dashed");
    }
    if matches!(n.shade, Shade::Failed | Shade::TimedOut) || n.role == Role::Input {
        style.push("bold");
    }
    let peripheries = if n.role == Role::Output || n.also_output {
        ", peripheries=2"
    } else {
        ""
    };
    let fontcolor = if matches!(n.shade, Shade::Skipped | Shade::NotRun | Shade::NoValue) {
        ", fontcolor=\"#616161\""
    } else {
        ""
    };
    let _ = writeln!(
        s,
        "  {} [label=\"{}\", shape={shape}, style=\"{}\", fillcolor=\"{fill}\", color=\"{border}\"{peripheries}{fontcolor}];",
        n.id,
        lines(&n.lines),
        style.join(",")
    );
}

/// Label lines joined by DOT's centred line break.
fn lines(lines: &[String]) -> String {
    let escaped: Vec<String> = lines.iter().map(|l| escape(l)).collect();
    escaped.join("\\n")
}

/// Text made safe inside a DOT quoted string, shown as written.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_quotes_backslashes_and_line_breaks() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape("one\ntwo\r\n"), "one\\ntwo\\n");
        assert_eq!(escape("\\N \\G \\l"), "\\\\N \\\\G \\\\l");
        assert_eq!(escape("<a>{b}|c"), "<a>{b}|c");
        assert_eq!(escape("nul\u{0}"), "nul\u{FFFD}");
    }
}
