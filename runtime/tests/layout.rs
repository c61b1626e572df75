//! The source layout's two rules, checked on the source text for the
//! runtime and the compiler: no import circle between files, and no source
//! file over 600 lines of code (tests, comments and blank lines aside).
//!
//! An import is a `crate::a::b` path in a file's code (comments and the
//! `mod tests` at the end are left out), resolved to the longest prefix
//! that names a file (`a/b.rs`, `a/b/mod.rs`, `a.rs`, `a/mod.rs`), plus a
//! `mod.rs`'s relative `use child::...` of its own children. Paths to the
//! crate root (`lib.rs`, which only declares and re-exports) are not
//! edges. A `mod child;` declaration is not an import either: a folder's
//! `mod.rs` may be used by its children only if it does not use them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, as paths relative to it.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("readable source folder") {
            let path = entry.expect("readable entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(dir).expect("under dir").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// A file's code: its lines up to its `mod tests` (and the attribute
/// above it), with comment lines dropped.
fn code_lines(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .iter()
        .position(|l| l.starts_with("mod tests"))
        .map_or(lines.len(), |i| {
            if i > 0 && lines[i - 1].starts_with("#[cfg(") {
                i - 1
            } else {
                i
            }
        });
    lines[..end]
        .iter()
        .copied()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect()
}

/// The file a module path names: the longest prefix of `segments` that is
/// a file, if any.
fn resolve(src: &Path, segments: &[&str]) -> Option<PathBuf> {
    (1..=segments.len()).rev().find_map(|n| {
        let base: PathBuf = segments[..n].iter().collect();
        [base.with_extension("rs"), base.join("mod.rs")]
            .into_iter()
            .find(|candidate| src.join(candidate).is_file())
    })
}

/// The identifiers of a path that starts at `text`'s start: `a::b::c`.
fn path_segments(text: &str) -> Vec<&str> {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            break;
        }
        segments.push(&rest[..len]);
        match rest[len..].strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    segments
}

/// Each file's imports of other files of the crate at `src`.
fn imports(src: &Path) -> BTreeMap<PathBuf, Vec<PathBuf>> {
    let mut graph = BTreeMap::new();
    for file in sources(src) {
        let text = fs::read_to_string(src.join(&file)).expect("readable source");
        let folder = file.parent().expect("relative path").to_path_buf();
        let is_mod = file.file_name().is_some_and(|n| n == "mod.rs");
        let mut targets = Vec::new();
        for line in code_lines(&text) {
            for (at, _) in line.match_indices("crate::") {
                let segments = path_segments(&line[at + "crate::".len()..]);
                if let Some(target) = resolve(src, &segments) {
                    targets.push(target);
                }
            }
            // A folder's `mod.rs` re-exporting or using its children.
            let trimmed = line.trim_start();
            let relative = trimmed
                .strip_prefix("pub(crate) use ")
                .or_else(|| trimmed.strip_prefix("pub use "))
                .or_else(|| trimmed.strip_prefix("use "));
            if let (true, Some(path)) = (is_mod, relative) {
                let segments = path_segments(path);
                let child: Vec<&str> = folder
                    .iter()
                    .map(|s| s.to_str().expect("utf-8 path"))
                    .chain(segments.iter().copied())
                    .collect();
                if !segments.is_empty() && !["crate", "std", "self", "super"].contains(&segments[0])
                {
                    if let Some(target) = resolve(src, &child) {
                        targets.push(target);
                    }
                }
            }
        }
        targets.retain(|t| t != &file && t != Path::new("lib.rs"));
        targets.sort();
        targets.dedup();
        graph.insert(file, targets);
    }
    graph
}

/// Every import circle of `graph`, each as the files around it.
fn circles(graph: &BTreeMap<PathBuf, Vec<PathBuf>>) -> Vec<Vec<PathBuf>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        graph: &BTreeMap<PathBuf, Vec<PathBuf>>,
        file: &PathBuf,
        marks: &mut BTreeMap<PathBuf, Mark>,
        path: &mut Vec<PathBuf>,
        found: &mut Vec<Vec<PathBuf>>,
    ) {
        marks.insert(file.clone(), Mark::Open);
        path.push(file.clone());
        for next in graph.get(file).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::New => visit(graph, next, marks, path, found),
                Mark::Open => {
                    let from = path.iter().position(|p| p == next).expect("on the path");
                    let mut circle = path[from..].to_vec();
                    circle.push(next.clone());
                    found.push(circle);
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(file.clone(), Mark::Done);
    }
    let mut marks = BTreeMap::new();
    let mut found = Vec::new();
    for file in graph.keys() {
        if marks.get(file).copied().unwrap_or(Mark::New) == Mark::New {
            visit(graph, file, &mut marks, &mut Vec::new(), &mut found);
        }
    }
    found
}

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

fn assert_no_circles(name: &str) {
    let graph = imports(&crate_src(name));
    assert!(graph.len() > 5, "{name}: found too few files to check");
    let found = circles(&graph);
    let shown: Vec<String> = found
        .iter()
        .map(|c| {
            c.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" -> ")
        })
        .collect();
    assert!(
        found.is_empty(),
        "{name}: import circles (move the shared item to the file that owns its concept, \
         or to a small file below both):\n{}",
        shown.join("\n")
    );
}

#[test]
fn the_runtime_has_no_import_circle() {
    assert_no_circles("runtime");
}

#[test]
fn the_compiler_has_no_import_circle() {
    assert_no_circles("compiler");
}

#[test]
fn the_checker_finds_a_circle() {
    let mut graph = BTreeMap::new();
    let (a, b, c) = (
        PathBuf::from("a.rs"),
        PathBuf::from("b.rs"),
        PathBuf::from("c.rs"),
    );
    graph.insert(a.clone(), vec![b.clone()]);
    graph.insert(b.clone(), vec![c.clone()]);
    graph.insert(c.clone(), vec![a.clone()]);
    assert_eq!(circles(&graph), vec![vec![a.clone(), b, c, a]]);
}

#[test]
fn the_checker_reads_imports_and_their_files() {
    let src = crate_src("runtime");
    assert_eq!(
        resolve(&src, &["state", "status", "Phase"]),
        Some(PathBuf::from("state/status.rs"))
    );
    assert_eq!(
        resolve(&src, &["state", "ExecutionState"]),
        Some(PathBuf::from("state/mod.rs"))
    );
    let graph = imports(&src);
    assert!(graph[Path::new("state/mod.rs")].contains(&PathBuf::from("state/status.rs")));
    assert!(graph[Path::new("exec/mod.rs")].contains(&PathBuf::from("exec/run_options.rs")));
}

/// The files of the crate `name` over 600 lines of code, each with its count.
fn long_files(name: &str) -> Vec<String> {
    let src = crate_src(name);
    let files = sources(&src);
    assert!(files.len() > 5, "{name}: found too few files to check");
    files
        .into_iter()
        .filter_map(|file| {
            let text = fs::read_to_string(src.join(&file)).expect("readable source");
            let n = code_lines(&text)
                .iter()
                .filter(|l| !l.trim().is_empty())
                .count();
            (n > 600).then(|| format!("{} ({n} lines of code)", file.display()))
        })
        .collect()
}

#[test]
fn no_runtime_file_is_over_600_lines_of_code() {
    let long = long_files("runtime");
    assert!(
        long.is_empty(),
        "split these files, one concept each: {long:?}"
    );
}

#[test]
fn no_compiler_file_is_over_600_lines_of_code() {
    let long = long_files("compiler");
    assert!(
        long.is_empty(),
        "split these files, one concept each: {long:?}"
    );
}
