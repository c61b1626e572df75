//! The picture as a format-free graph: nodes with a role, label lines and a
//! shade, and labelled edges. The DOT and Mermaid writers only choose
//! shapes and escape text; what is drawn and what it says is decided here,
//! once, so the two formats always agree.

use std::fmt::Write as _;
use std::time::Duration;

use asterism_compiler::{
    plain, InlineTransform, ModuleIx, NodeIx, NodeKind, Plan, Producer, SlotIx, TransformIx,
    UNBOUND_SLOT,
};
use asterism_runtime::{Abort, NodeStatus};

use super::{module_of, RunView};

/// Longest label line kept (in characters) before it is cut with `…`:
/// names and types are short, but a record type, a literal or an error
/// message can run to kilobytes.
const MAX_LINE: usize = 60;

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A module node.
    Module,
    /// An inline transform node.
    Transform,
    /// A data node the caller fills (it may also be a declared output).
    Input,
    /// A data node read as a declared output.
    Output,
    /// Any other data node.
    Data,
}

/// How a node is coloured: by its role in a plain picture, by its status
/// in a picture of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shade {
    /// No status: the role's own colours.
    Plain,
    /// Completed.
    Completed,
    /// Failed (an error or a panic).
    Failed,
    /// Ran past its timeout.
    TimedOut,
    /// Not run because a node upstream failed.
    Skipped,
    /// Stopped by cancellation or the deadline.
    Cancelled,
    /// Never started.
    NotRun,
    /// A data node left without a value after the run.
    NoValue,
}

impl Shade {
    pub(crate) fn of_status(status: &NodeStatus) -> Shade {
        match status {
            NodeStatus::Completed { .. } => Shade::Completed,
            NodeStatus::Failed(_) => Shade::Failed,
            NodeStatus::TimedOut(_) => Shade::TimedOut,
            NodeStatus::Skipped { .. } => Shade::Skipped,
            NodeStatus::Cancelled => Shade::Cancelled,
            NodeStatus::Waiting | NodeStatus::Running => Shade::NotRun,
        }
    }

    /// The status in words.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Shade::Plain => "",
            Shade::Completed => "completed",
            Shade::Failed => "failed",
            Shade::TimedOut => "timed out",
            Shade::Skipped => "skipped",
            Shade::Cancelled => "cancelled",
            Shade::NotRun => "not run",
            Shade::NoValue => "no value",
        }
    }

    /// A name usable as an identifier (Mermaid class names).
    pub(crate) fn class(self) -> &'static str {
        match self {
            Shade::Plain => "plain",
            Shade::Completed => "completed",
            Shade::Failed => "failed",
            Shade::TimedOut => "timedout",
            Shade::Skipped => "skipped",
            Shade::Cancelled => "cancelled",
            Shade::NotRun => "notrun",
            Shade::NoValue => "novalue",
        }
    }

    /// `(fill, border)` colours of a status; `None` for [`Shade::Plain`].
    pub(crate) fn colours(self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            Shade::Plain => return None,
            Shade::Completed => ("#c8e6c9", "#2e7d32"),
            Shade::Failed => ("#ffcdd2", "#c62828"),
            Shade::TimedOut => ("#ffe0b2", "#e65100"),
            Shade::Skipped => ("#eeeeee", "#757575"),
            Shade::Cancelled => ("#e1bee7", "#6a1b9a"),
            Shade::NotRun => ("#ffffff", "#9e9e9e"),
            Shade::NoValue => ("#fafafa", "#9e9e9e"),
        })
    }

    /// Whether the border is dashed (nothing ran, or nothing came out).
    pub(crate) fn dashed(self) -> bool {
        matches!(self, Shade::Skipped | Shade::NotRun | Shade::NoValue)
    }
}

impl Role {
    /// `(fill, border)` colours of the role, used when there is no status.
    pub(crate) fn colours(self) -> (&'static str, &'static str) {
        match self {
            Role::Module => ("#e3f2fd", "#1565c0"),
            Role::Transform => ("#f3e5f5", "#7b1fa2"),
            Role::Input => ("#fff9c4", "#f9a825"),
            Role::Output => ("#e0f7fa", "#00838f"),
            Role::Data => ("#ffffff", "#546e7a"),
        }
    }

    /// A name usable as an identifier (Mermaid class names).
    pub(crate) fn class(self) -> &'static str {
        match self {
            Role::Module => "module",
            Role::Transform => "transform",
            Role::Input => "input",
            Role::Output => "output",
            Role::Data => "data",
        }
    }
}

/// One node of the picture.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    /// An identifier safe in every format: `m3`, `t0`, `d12`.
    pub(crate) id: String,
    pub(crate) role: Role,
    /// An input that is also a declared output (drawn with a double border).
    pub(crate) also_output: bool,
    /// The label, one entry per line, unescaped.
    pub(crate) lines: Vec<String>,
    pub(crate) shade: Shade,
}

/// One edge of the picture.
#[derive(Clone, Debug)]
pub(crate) struct Edge {
    pub(crate) from: String,
    pub(crate) to: String,
    /// The parameter (or output field) the edge carries, unescaped.
    pub(crate) label: Option<String>,
}

/// A whole picture.
#[derive(Clone, Debug)]
pub(crate) struct Graph<'p> {
    /// The caption, one entry per line, unescaped.
    pub(crate) title: Vec<String>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) edges: Vec<Edge>,
    /// Module names given to more than one module node, sorted: those
    /// nodes' labels add a short UUID so they can be told apart.
    shared_names: Vec<&'p str>,
}

fn module_id(m: ModuleIx) -> String {
    format!("m{}", m.0)
}
fn transform_id(t: TransformIx) -> String {
    format!("t{}", t.0)
}
fn slot_id(s: SlotIx) -> String {
    format!("d{}", s.0)
}
fn node_id(plan: &Plan, n: NodeIx) -> String {
    match plan.node_kind(n) {
        NodeKind::Module(m) => module_id(m),
        NodeKind::Transform(t) => transform_id(t),
    }
}

impl<'p> Graph<'p> {
    /// The picture of `plan`, with `run`'s statuses if given.
    pub(crate) fn build(plan: &'p Plan, run: Option<&RunView>) -> Graph<'p> {
        let mut names: Vec<&str> = (0..plan.module_count() as u32)
            .map(|m| plan.module_name(ModuleIx(m)))
            .collect();
        names.sort_unstable();
        let mut shared_names: Vec<&str> = names
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        shared_names.dedup();
        let mut g = Graph {
            title: title(plan, run),
            nodes: Vec::with_capacity(plan.node_count() + plan.slot_count()),
            edges: Vec::new(),
            shared_names,
        };
        for n in (0..plan.node_count() as u32).map(NodeIx) {
            g.push_node(plan, n, run);
        }
        for s in (0..plan.slot_count() as u32).map(SlotIx) {
            g.push_slot(plan, s, run);
        }
        g
    }

    fn push_node(&mut self, plan: &'p Plan, n: NodeIx, run: Option<&RunView>) {
        let id = node_id(plan, n);
        // The rows of a transform's node hold its own data node as its one
        // output, so the edges below draw transforms and modules alike.
        let (role, mut lines, params, outputs): (_, _, Vec<String>, Vec<String>) =
            match plan.node_kind(n) {
                NodeKind::Module(m) => {
                    let sig = plan.module_signature(m);
                    let name = plan.module_name(m);
                    let mut lines = vec![if self.shared_names.binary_search(&name).is_ok() {
                        format!("{} ({})", clip(name), short_uuid(plan, n))
                    } else {
                        clip(name)
                    }];
                    if sig.name != name {
                        lines.push(clip(&format!("({})", sig.name)));
                    }
                    let params = sig.params.iter().map(|p| p.name.clone()).collect();
                    let outputs = sig.outputs.iter().map(|p| p.name.clone()).collect();
                    (Role::Module, lines, params, outputs)
                }
                NodeKind::Transform(t) => {
                    let tr = plan.transform(t);
                    (
                        Role::Transform,
                        vec![clip(&transform_label(tr))],
                        tr.input_names(),
                        Vec::new(),
                    )
                }
            };
        let shade = match run {
            None => Shade::Plain,
            Some(run) => {
                let status = &run.status[n.ix()];
                let latency = module_of(plan, n).and_then(|m| run.module_latency[m.ix()]);
                lines.extend(status_lines(plan, status, latency));
                Shade::of_status(status)
            }
        };
        self.nodes.push(Node {
            id: id.clone(),
            role,
            also_output: false,
            lines,
            shade,
        });
        // Inputs: one edge per parameter, labelled with it when there is a
        // choice of parameter to label.
        let inputs = plan.node_inputs(n);
        let labelled = inputs.len() > 1 || role == Role::Module;
        for (i, &s) in inputs.iter().enumerate() {
            self.edges.push(Edge {
                from: slot_id(s),
                to: id.clone(),
                label: labelled.then(|| params.get(i).cloned()).flatten(),
            });
        }
        // Outputs: labelled with the field only where a module has several.
        let outs = plan.node_outputs(n);
        for (i, &s) in outs.iter().enumerate() {
            if s == UNBOUND_SLOT {
                continue;
            }
            self.edges.push(Edge {
                from: id.clone(),
                to: slot_id(s),
                label: (outs.len() > 1).then(|| outputs.get(i).cloned()).flatten(),
            });
        }
    }

    fn push_slot(&mut self, plan: &Plan, s: SlotIx, run: Option<&RunView>) {
        let outputs: Vec<&str> = plan
            .outputs()
            .iter()
            .filter(|o| o.slot == s)
            .map(|o| o.name.as_str())
            .collect();
        let input = plan.inputs().iter().find(|d| d.slot == s);
        let (role, name) = match (input, outputs.is_empty()) {
            (Some(d), _) => (Role::Input, d.name.as_str()),
            (None, false) => (Role::Output, plan.slot_name(s)),
            (None, true) => (Role::Data, plan.slot_name(s)),
        };
        let mut lines = vec![clip(&format!("{name}: {}", plan.slot_type(s)))];
        if role == Role::Input {
            lines.push("input".to_owned());
        }
        for o in &outputs {
            lines.push(if *o == name {
                "output".to_owned()
            } else {
                clip(&format!("output `{o}`"))
            });
        }
        let shade = match run {
            Some(run) if !run.has_value[s.ix()] => {
                lines.push("no value".to_owned());
                Shade::NoValue
            }
            _ => Shade::Plain,
        };
        debug_assert!(
            role != Role::Input || matches!(plan.slot_producer(s), Producer::Input(_)),
            "an input's slot is filled by the caller"
        );
        self.nodes.push(Node {
            id: slot_id(s),
            role,
            also_output: role == Role::Input && !outputs.is_empty(),
            lines,
            shade,
        });
    }
}

/// The caption: the pipeline, and for a run how it went.
fn title(plan: &Plan, run: Option<&RunView>) -> Vec<String> {
    let name = if plan.name().is_empty() {
        "(unnamed)".to_owned()
    } else {
        clip(plan.name())
    };
    let mut lines = vec![format!("pipeline {name}")];
    if let Some(run) = run {
        let mut s = String::new();
        if run.failed == 0 && run.skipped == 0 && run.abort.is_none() {
            s.push_str("run succeeded");
        } else {
            s.push_str("run: ");
            let mut parts = Vec::new();
            if run.failed > 0 {
                parts.push(format!("{} failed", run.failed));
            }
            if run.skipped > 0 {
                parts.push(format!("{} skipped", run.skipped));
            }
            match run.abort {
                Some(Abort::Cancelled) => parts.push("cancelled".to_owned()),
                Some(Abort::DeadlineExceeded) => parts.push("deadline exceeded".to_owned()),
                None => {}
            }
            s.push_str(&parts.join(", "));
        }
        let _ = write!(s, " in {}", latency(run.total));
        lines.push(s);
    }
    lines
}

/// The label lines a status adds under a node's name.
fn status_lines(plan: &Plan, status: &NodeStatus, took: Option<Duration>) -> Vec<String> {
    let word = Shade::of_status(status).word();
    match status {
        NodeStatus::Completed { .. } | NodeStatus::Failed(_) | NodeStatus::TimedOut(_) => {
            let mut first = word.to_owned();
            if let Some(l) = took {
                let _ = write!(first, " in {}", latency(l));
            }
            match status {
                NodeStatus::Failed(f) | NodeStatus::TimedOut(f) => vec![first, clip(&f.message)],
                _ => vec![first],
            }
        }
        NodeStatus::Skipped { upstream } => {
            vec![
                "skipped: upstream failed".to_owned(),
                format!(
                    "{} ({})",
                    clip(plan.node_name(*upstream)),
                    short_uuid(plan, *upstream)
                ),
            ]
        }
        NodeStatus::Cancelled | NodeStatus::Waiting | NodeStatus::Running => {
            vec![word.to_owned()]
        }
    }
}

/// The first eight hex digits of node `n`'s UUID: enough to tell apart the
/// nodes of one pipeline that share a name, and to find the node in its spec.
fn short_uuid(plan: &Plan, n: NodeIx) -> String {
    let mut uuid = plan.node_uuid(n).to_string();
    uuid.truncate(8);
    uuid
}

/// A transform's kind with its parameters, as one line.
fn transform_label(t: &InlineTransform) -> String {
    match t {
        InlineTransform::Merge => "Merge (left ++ right)".to_owned(),
        InlineTransform::Project { fields } => format!("Project {{{}}}", fields.join(", ")),
        InlineTransform::FieldAccess { field } => format!("FieldAccess .{field}"),
        InlineTransform::Conditional => "Conditional (if cond then else)".to_owned(),
        InlineTransform::Guard => "Guard (expr when cond)".to_owned(),
        InlineTransform::Coalesce => "Coalesce (left ?? right)".to_owned(),
        InlineTransform::And => "And".to_owned(),
        InlineTransform::Or => "Or".to_owned(),
        InlineTransform::Not => "Not".to_owned(),
        InlineTransform::Literal { value } => format!("Literal {}", plain::encode(value)),
        InlineTransform::StringInterpolation { parts } => {
            let mut s = String::from("Interpolation \"");
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    let _ = write!(s, "${{expr{}}}", i - 1);
                }
                s.push_str(p);
            }
            s.push('"');
            s
        }
        InlineTransform::ListLiteral { len } => format!("ListLiteral [{len} elements]"),
        InlineTransform::RecordBuild { fields } => format!("RecordBuild {{{}}}", fields.join(", ")),
        InlineTransform::Collect => "Collect (as a list)".to_owned(),
        InlineTransform::Interleave => "Interleave (l0, r0, l1, r1, ...)".to_owned(),
        InlineTransform::Zip => "Zip ({_1, _2} pairs)".to_owned(),
    }
}

/// A latency for people: microseconds below a millisecond, else
/// milliseconds (the `--timings` table's units).
pub(crate) fn latency(d: Duration) -> String {
    if d.as_micros() < 1_000 {
        format!("{:.2} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.3} ms", d.as_secs_f64() * 1e3)
    }
}

/// `s` cut to [`MAX_LINE`] characters, with `…` where it was cut.
fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_LINE) {
        None => s.to_owned(),
        Some((end, _)) => format!("{}…", &s[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_LINE + 5);
        let cut = clip(&long);
        assert_eq!(cut.chars().count(), MAX_LINE + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn transform_labels_name_kind_and_parameters() {
        let label = |t| transform_label(&t);
        assert_eq!(
            label(InlineTransform::Project {
                fields: vec!["a".into(), "b".into()]
            }),
            "Project {a, b}"
        );
        assert_eq!(
            label(InlineTransform::StringInterpolation {
                parts: vec!["Hi ".into(), ", ".into(), "!".into()]
            }),
            "Interpolation \"Hi ${expr0}, ${expr1}!\""
        );
        assert_eq!(
            label(InlineTransform::Literal {
                value: asterism_compiler::CValue::Int(5)
            }),
            "Literal 5"
        );
        assert_eq!(
            label(InlineTransform::FieldAccess { field: "x".into() }),
            "FieldAccess .x"
        );
    }

    #[test]
    fn latencies_use_the_timing_tables_units() {
        assert_eq!(latency(Duration::from_nanos(1_130)), "1.13 µs");
        assert_eq!(latency(Duration::from_micros(2_500)), "2.500 ms");
    }
}
