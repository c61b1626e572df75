//! Mermaid flowchart output, for Markdown pages that render Mermaid.
//!
//! Labels are quoted (`m0["..."]`, `d0 -->|"..."| m0`), and inside the
//! quotes every character Mermaid or the HTML it renders to would read is
//! written as one of Mermaid's entity codes (`#quot;`, `#lt;`, `#35;`...);
//! lines are joined with `<br>`. The caption goes in the YAML front matter
//! as a double-quoted string. Node identifiers are `m0`, `t0`, `d0`.

use std::fmt::Write as _;

use super::graph::{Graph, Node, Role, Shade};

/// `g` as a Mermaid flowchart.
pub(crate) fn write(g: &Graph<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "---\ntitle: \"{}\"\n---", yaml(&g.title.join(" · ")));
    s.push_str("flowchart LR\n");
    for n in &g.nodes {
        let label = label(&n.lines);
        let (open, close) = match n.role {
            Role::Module => ("[\"", "\"]"),
            Role::Transform => ("{{\"", "\"}}"),
            Role::Input => ("[/\"", "\"/]"),
            Role::Output => ("([\"", "\"])"),
            Role::Data => ("(\"", "\")"),
        };
        let _ = writeln!(s, "  {}{open}{label}{close}", n.id);
    }
    for e in &g.edges {
        match &e.label {
            Some(l) => {
                let _ = writeln!(s, "  {} -->|\"{}\"| {}", e.from, escape(l), e.to);
            }
            None => {
                let _ = writeln!(s, "  {} --> {}", e.from, e.to);
            }
        }
    }
    // Class definitions, then one `class` line per class in use.
    let mut used: Vec<(&str, String)> = Vec::new();
    for n in &g.nodes {
        let class = class_of(n);
        match used.iter_mut().find(|(c, _)| *c == class) {
            Some((_, ids)) => {
                ids.push(',');
                ids.push_str(&n.id);
            }
            None => used.push((class, n.id.clone())),
        }
    }
    for (class, ids) in &used {
        let _ = writeln!(s, "  classDef {class} {}", style(class, &g.nodes));
        let _ = writeln!(s, "  class {ids} {class}");
    }
    s
}

/// The class a node is drawn with: its status if it has one, else its role.
fn class_of(n: &Node) -> &'static str {
    match n.shade {
        Shade::Plain if n.also_output => "inputoutput",
        Shade::Plain => n.role.class(),
        shade => shade.class(),
    }
}

/// The style of `class` (found from the first node drawn with it).
fn style(class: &str, nodes: &[Node]) -> String {
    let Some(n) = nodes.iter().find(|n| class_of(n) == class) else {
        return String::new();
    };
    let (fill, border) = n.shade.colours().unwrap_or_else(|| n.role.colours());
    let mut s = format!("fill:{fill},stroke:{border}");
    if n.shade.dashed() {
        s.push_str(",stroke-dasharray:5 5,color:#616161");
    }
    if matches!(n.shade, Shade::Failed | Shade::TimedOut) || n.role == Role::Output || n.also_output
    {
        s.push_str(",stroke-width:3px");
    }
    s
}

/// Label lines, escaped and joined with `<br>`.
fn label(lines: &[String]) -> String {
    let escaped: Vec<String> = lines.iter().map(|l| escape(l)).collect();
    escaped.join("<br>")
}

/// Text made safe inside a quoted Mermaid label, shown as written.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text made safe inside a YAML double-quoted string on one line.
fn yaml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{escape, yaml};

    #[test]
    fn labels_hold_no_character_mermaid_would_read() {
        let e = escape("a\"b<c>d{e}|f#g&h`i\nj");
        assert_eq!(e, "a#quot;b#lt;c#gt;d{e}#124;f#35;g#amp;h#96;i<br>j");
        // An entity-looking name comes out as written, not decoded.
        assert_eq!(escape("#35;"), "#35;35;");
    }

    #[test]
    fn the_caption_is_one_yaml_string() {
        assert_eq!(yaml("a \"b\" \\c\nd"), "a \\\"b\\\" \\\\c d");
    }
}
