//! Shared by the picture tests: reading DOT and Mermaid back, and rendering
//! DOT with Graphviz where it is installed.
#![allow(dead_code)] // each test file uses its own part of this

use std::io::Write as _;
use std::process::{Command, Stdio};

/// A node statement of a DOT picture: its id and attributes (values
/// unescaped: `\"` is `"`, `\\` is `\`, `\n` is a line break).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotNode {
    pub id: String,
    pub attrs: Vec<(String, String)>,
}

impl DotNode {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The label's lines.
    pub fn lines(&self) -> Vec<&str> {
        self.attr("label").unwrap_or("").split('\n').collect()
    }
}

/// An edge statement: `from -> to` and its label, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotEdge {
    pub from: String,
    pub to: String,
    pub label: Option<String>,
}

/// A DOT picture read back.
#[derive(Debug, Default)]
pub struct Dot {
    /// The `graph [...]` attributes.
    pub graph: Vec<(String, String)>,
    pub nodes: Vec<DotNode>,
    pub edges: Vec<DotEdge>,
}

impl Dot {
    pub fn node(&self, id: &str) -> &DotNode {
        self.nodes
            .iter()
            .find(|n| n.id == id)
            .unwrap_or_else(|| panic!("no node `{id}` in {self:#?}"))
    }

    /// The node whose label's first line is `first`.
    pub fn node_named(&self, first: &str) -> &DotNode {
        let found: Vec<&DotNode> = self
            .nodes
            .iter()
            .filter(|n| n.lines()[0] == first)
            .collect();
        assert_eq!(found.len(), 1, "one node labelled `{first}`: {self:#?}");
        found[0]
    }

    pub fn title(&self) -> Vec<&str> {
        self.graph
            .iter()
            .find(|(k, _)| k == "label")
            .map(|(_, v)| v.split('\n').collect())
            .unwrap_or_default()
    }
}

/// Reads the subset of DOT the picture writer produces, strictly: one
/// statement per line, identifiers that are plain words, quoted strings
/// with only the escapes `\"`, `\\` and `\n`. Panics on anything else, so a
/// label that broke out of its quotes fails the test.
pub fn parse_dot(text: &str) -> Dot {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("digraph asterism {"), "{text}");
    let mut dot = Dot::default();
    let mut closed = false;
    for line in lines {
        assert!(!closed, "text after the closing brace: {line:?}");
        if line == "}" {
            closed = true;
            continue;
        }
        let stmt = line
            .strip_prefix("  ")
            .and_then(|l| l.strip_suffix(';'))
            .unwrap_or_else(|| panic!("not a statement line: {line:?}"));
        let (head, attrs) = match stmt.find(" [") {
            Some(i) => (&stmt[..i], parse_attrs(&stmt[i + 2..], line)),
            None => (stmt, Vec::new()),
        };
        if let Some((from, to)) = head.split_once(" -> ") {
            assert!(is_word(from) && is_word(to), "edge ends: {line:?}");
            assert!(attrs.iter().all(|(k, _)| k == "label"), "{line:?}");
            dot.edges.push(DotEdge {
                from: from.to_owned(),
                to: to.to_owned(),
                label: attrs.into_iter().next().map(|(_, v)| v),
            });
        } else if head == "graph" {
            dot.graph = attrs;
        } else if head == "node" || head == "edge" {
        } else {
            assert!(is_word(head), "node id: {line:?}");
            dot.nodes.push(DotNode {
                id: head.to_owned(),
                attrs,
            });
        }
    }
    assert!(closed, "no closing brace: {text}");
    dot
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `key=value, key="quoted", ...]`.
fn parse_attrs(s: &str, line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
        assert!(is_word(&key), "attribute name {key:?} in {line:?}");
        assert_eq!(chars.next(), Some('='), "{line:?}");
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('"') => value.push('"'),
                        Some('\\') => value.push('\\'),
                        Some('n') => value.push('\n'),
                        other => panic!("escape \\{other:?} in {line:?}"),
                    },
                    Some(c) => {
                        assert!(!c.is_control(), "raw control character in {line:?}");
                        value.push(c)
                    }
                    None => panic!("unclosed quote in {line:?}"),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ',' && *c != ']')).collect();
            assert!(
                value.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'),
                "bare value {value:?} in {line:?}"
            );
        }
        out.push((key, value));
        match chars.next() {
            Some(',') => assert_eq!(chars.next(), Some(' '), "{line:?}"),
            Some(']') => {
                assert_eq!(chars.next(), None, "{line:?}");
                return out;
            }
            other => panic!("{other:?} after an attribute in {line:?}"),
        }
    }
}

/// A Mermaid node: id, shape (its opening bracket) and label lines
/// (entities decoded, split at `<br>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MermaidNode {
    pub id: String,
    pub open: String,
    pub lines: Vec<String>,
}

/// A Mermaid flowchart read back: title, nodes, edges, class of each node.
#[derive(Debug, Default)]
pub struct Mermaid {
    pub title: String,
    pub nodes: Vec<MermaidNode>,
    pub edges: Vec<DotEdge>,
    /// (node id, class name).
    pub classes: Vec<(String, String)>,
    /// (class name, style).
    pub class_defs: Vec<(String, String)>,
}

impl Mermaid {
    pub fn class_of(&self, id: &str) -> &str {
        let found: Vec<&str> = self
            .classes
            .iter()
            .filter(|(n, _)| n == id)
            .map(|(_, c)| c.as_str())
            .collect();
        assert_eq!(found.len(), 1, "one class for `{id}`: {self:#?}");
        found[0]
    }
}

/// Decodes a quoted Mermaid label, asserting it holds no character Mermaid
/// would read: every `#` starts an entity, no raw quote, `<` only in `<br>`.
pub fn decode_mermaid(label: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut rest = label;
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("<br>") {
            lines.push(String::new());
            rest = r;
            continue;
        }
        assert!(
            !matches!(c, '"' | '<' | '>' | '|' | '`' | '&') && !c.is_control(),
            "raw {c:?} in Mermaid label {label:?}"
        );
        if c == '#' {
            let end = rest.find(';').expect("an entity ends with `;`");
            let name = &rest[1..end];
            let decoded = match name {
                "quot" => '"',
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                n => char::from_u32(n.parse().expect("a numeric entity")).unwrap(),
            };
            lines.last_mut().unwrap().push(decoded);
            rest = &rest[end + 1..];
        } else {
            lines.last_mut().unwrap().push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    lines
}

/// Reads the Mermaid the picture writer produces, strictly.
pub fn parse_mermaid(text: &str) -> Mermaid {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("---"));
    let title = lines.next().unwrap();
    let title = title
        .strip_prefix("title: \"")
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or_else(|| panic!("a quoted title: {title:?}"));
    assert_eq!(lines.next(), Some("---"));
    assert_eq!(lines.next(), Some("flowchart LR"));
    let mut m = Mermaid {
        title: title.to_owned(),
        ..Mermaid::default()
    };
    for line in lines {
        let stmt = line
            .strip_prefix("  ")
            .unwrap_or_else(|| panic!("not indented: {line:?}"));
        if let Some(rest) = stmt.strip_prefix("classDef ") {
            let (class, style) = rest.split_once(' ').unwrap();
            m.class_defs.push((class.to_owned(), style.to_owned()));
        } else if let Some(rest) = stmt.strip_prefix("class ") {
            let (ids, class) = rest.split_once(' ').unwrap();
            for id in ids.split(',') {
                m.classes.push((id.to_owned(), class.to_owned()));
            }
        } else if let Some((from, rest)) = stmt.split_once(" -->") {
            let (label, to) = match rest.strip_prefix("|\"") {
                Some(r) => {
                    let (label, to) = r.split_once("\"| ").expect("a closed edge label");
                    (Some(decode_mermaid(label).join("\n")), to)
                }
                None => (None, rest.strip_prefix(' ').unwrap()),
            };
            assert!(is_word(from) && is_word(to), "edge ends: {line:?}");
            m.edges.push(DotEdge {
                from: from.to_owned(),
                to: to.to_owned(),
                label,
            });
        } else {
            let q = stmt.find('"').expect("a quoted node label");
            let (id, open) = stmt[..q].split_at(
                stmt[..q]
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .expect("a shape after the id"),
            );
            let close: String = open
                .chars()
                .rev()
                .map(|c| match c {
                    '[' => ']',
                    '(' => ')',
                    '{' => '}',
                    c => c,
                })
                .collect();
            let label = stmt[q + 1..]
                .strip_suffix(&format!("\"{close}"))
                .unwrap_or_else(|| panic!("the shape closes as it opened: {line:?}"));
            m.nodes.push(MermaidNode {
                id: id.to_owned(),
                open: open.to_owned(),
                lines: decode_mermaid(label),
            });
        }
    }
    m
}

/// Renders `dot` with Graphviz's `dot -Tsvg` and returns the SVG; fails on
/// any error or warning from Graphviz. Returns `None`, after a skip line on
/// the real stderr, when `dot` is not installed (unless
/// `ASTERISM_REQUIRE_GRAPHVIZ` is set: then a missing `dot` fails).
pub fn render_svg(dot: &str, what: &str) -> Option<String> {
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("ASTERISM_REQUIRE_GRAPHVIZ").is_none(),
                "ASTERISM_REQUIRE_GRAPHVIZ is set but Graphviz's `dot` is not on PATH"
            );
            // Straight to the process's stderr: the test harness captures
            // `eprintln!`, and this line is for whoever runs the tests.
            // One write, so parallel tests do not interleave within it.
            let line = format!(
                "SKIP (render of {what}): Graphviz's `dot` is not installed; \
                 install graphviz to check that pictures render\n"
            );
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
            return None;
        }
        Err(e) => panic!("cannot start Graphviz's `dot`: {e}"),
    };
    let mut stdin = child.stdin.take().unwrap();
    let input = dot.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("dot runs");
    writer.join().unwrap().expect("dot reads its input");
    // Any message from Graphviz fails the test; only fontconfig's notes
    // about its cache (the machine's fonts, not our DOT) are let through.
    let stderr: String = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("Fontconfig "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "Graphviz rejected {what} ({}):\n{stderr}\n--- the DOT ---\n{dot}",
        out.status
    );
    let svg = String::from_utf8(out.stdout).expect("SVG is UTF-8");
    assert!(svg.contains("<svg"), "{svg}");
    Some(svg)
}

/// The text of every `<text>` element of an SVG, entities decoded.
pub fn svg_texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let body = &rest[start..];
        let open_end = body.find('>').unwrap() + 1;
        let close = body.find("</text>").unwrap();
        out.push(decode_xml(&body[open_end..close]));
        rest = &body[close..];
    }
    out
}

fn decode_xml(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').unwrap() + i;
        let entity = &rest[i + 1..end];
        out.push(match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            e if e.starts_with("#x") => {
                char::from_u32(u32::from_str_radix(&e[2..], 16).unwrap()).unwrap()
            }
            e if e.starts_with('#') => char::from_u32(e[1..].parse().unwrap()).unwrap(),
            e => panic!("unknown entity &{e};"),
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}
