//! The house has no import loops (ARCHITECTURE.md, "Layers").
//!
//! Read from the source text, outside test modules:
//! - the top-level modules of `src/` (`crate::bus`, `crate::policy`, …) form
//!   a graph without cycles: a module never imports one that imports it back,
//!   directly or through others;
//! - inside every folder, the sibling files (`super::other`) do too. A file
//!   may use its own folder's `mod.rs` items (the folder's shared types), and
//!   `mod.rs` declares and re-exports its children; that parent–child pair is
//!   the folder itself, not a loop.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file before its test module, without comment lines.
fn production_code(path: &Path) -> String {
    let text = fs::read_to_string(path).expect("read source");
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

fn ident_at(s: &str) -> Option<&str> {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    (end > 0).then(|| &s[..end])
}

/// The first path segment of every path that follows `prefix` (`crate::`,
/// `super::`), expanding one level of `{a::x, b}` groups.
fn first_segments(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        // `super::super::` or `crate::super` are not paths this check follows.
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.extend(ident_at(group[start..i].trim_start()).map(str::to_owned));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.extend(ident_at(group[start..i].trim_start()).map(str::to_owned));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else if let Some(ident) = ident_at(rest) {
            found.insert(ident.to_owned());
        }
    }
    found.retain(|s| s != "self" && s != "super");
    found
}

/// The cycles of a graph, as the nodes of each strongly connected component
/// with more than one node (or a node that points at itself).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Reachability is enough at this size: a and b share a cycle when each reaches the other.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(node) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|n| (n, reach(n))).collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    for (node, from_node) in &reached {
        if !from_node.contains(*node) || out.iter().any(|c| c.contains(node)) {
            continue;
        }
        let component: Vec<String> =
            from_node.iter().filter(|other| reached.get(other).is_some_and(|r| r.contains(*node))).cloned().collect();
        out.push(component);
    }
    out
}

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn top_level_modules_form_no_loop() {
    let src = src();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let first = relative.components().next().expect("a component").as_os_str().to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let edges = graph.entry(module.clone()).or_default();
        for target in first_segments(&production_code(file), "crate::") {
            if target != module {
                edges.insert(target);
            }
        }
    }
    assert!(graph.len() > 10, "read the modules of src/: {:?}", graph.keys());
    let loops = cycles(&graph);
    assert!(loops.is_empty(), "top-level modules import each other in a loop: {loops:?}\n{graph:#?}");
}

#[test]
fn sibling_files_form_no_loop() {
    let src = src();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut by_folder: BTreeMap<PathBuf, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in &files {
        let folder = file.parent().expect("a folder").to_path_buf();
        let name = file.file_stem().expect("a name").to_string_lossy().into_owned();
        if name == "mod" || folder == src {
            continue;
        }
        let siblings: BTreeSet<String> = fs::read_dir(&folder)
            .expect("read folder")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "rs"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .filter(|s| s != "mod" && *s != name)
            .collect();
        let edges = first_segments(&production_code(file), "super::");
        by_folder.entry(folder).or_default().insert(name, edges.into_iter().filter(|e| siblings.contains(e)).collect());
    }
    assert!(by_folder.len() > 5, "read the folders of src/");
    for (folder, graph) in by_folder {
        let loops = cycles(&graph);
        assert!(loops.is_empty(), "files of {} import each other in a loop: {loops:?}", folder.display());
    }
}

#[test]
fn the_reader_sees_groups_and_loops() {
    let code = "use crate::{bus::{Bus, Filter}, error::Error};\nlet x = crate::graph::vocab::f();";
    assert_eq!(first_segments(code, "crate::"), ["bus", "error", "graph"].map(String::from).into());
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), ["b".to_owned()].into()),
        ("b".to_owned(), ["c".to_owned()].into()),
        ("c".to_owned(), ["a".to_owned()].into()),
        ("d".to_owned(), ["a".to_owned()].into()),
    ]
    .into();
    assert_eq!(cycles(&graph), vec![vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]]);
}
