//! The library's architecture: layers that depend one way, and no module dependency cycles.
//!
//! Every `.rs` file under `src/` (except `src/bin`, the CLI, which sits on top of everything, and
//! `src/lib.rs`, the root that declares and re-exports the layers) is read, and every crate
//! module it names is collected: `crate::a::b` paths, `super::` and `self::` paths, and
//! `use crate::{...}` groups, in code, comments and doc links alike (a doc link is a
//! dependency of the reader's, and rustdoc's). Each name resolves to the module file it
//! reaches (`crate::engine::predictor::Predictor` is `engine::predictor`). Then:
//!
//! 1. no modules depend on each other in a cycle (reported as a path, with where each step is
//!    written);
//! 2. a module names only its own layer and the layers [`LAYERS`] allows below it (reported
//!    with file and line), and never the crate root's re-exports (`crate::Predictor`): those
//!    exist for users, and naming them would hide which layer an item lives in.
//!
//! Modules of one file are the nodes: a parent module file declaring its children
//! (`mod x;`, `pub use x::Y;`) is containment, not a dependency, so only the paths above are
//! edges.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers from the bottom up, each with the layers below it that it may name; a module
/// may always name modules of its own layer. A module's layer is the first segment of its path
/// (`engine` for `engine::cpu_net::ism`).
const LAYERS: &[(&str, &[&str])] = &[
    // The construct's layout constants, below the error type whose messages print them.
    ("layout", &[]),
    ("error", &["layout"]),
    ("input", &["layout", "error"]),
    ("model", &["layout", "error", "input"]),
    ("engine", &["layout", "error", "input", "model"]),
    ("analysis", &["layout", "error", "input", "model", "engine"]),
    // Scoring needs numbers, not a model.
    ("score", &["layout", "error", "input"]),
    (
        "web",
        &[
            "layout", "error", "input", "model", "engine", "analysis", "score",
        ],
    ),
];

/// A module path (`["engine", "predictor"]`); empty for the crate root.
type ModulePath = Vec<String>;

fn show(module: &[String]) -> String {
    if module.is_empty() {
        "the crate root".into()
    } else {
        module.join("::")
    }
}

/// One source file of the library.
struct Source {
    /// As written in messages: `src/engine/predictor.rs`.
    file: String,
    module: ModulePath,
    text: String,
}

impl Source {
    fn new(file: &str, text: &str) -> Self {
        Source {
            file: file.into(),
            module: module_of(file),
            text: text.into(),
        }
    }
}

/// The module a file under `src/` defines: `src/a/mod.rs` and `src/a.rs` are `a`.
fn module_of(file: &str) -> ModulePath {
    let rel = file.strip_prefix("src/").expect("a file under src/");
    let rel = rel.strip_suffix(".rs").expect("a .rs file");
    let mut parts: ModulePath = rel.split('/').map(String::from).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// Every library source file (not `src/bin`, not `src/lib.rs`), sorted.
fn library_sources() -> Vec<Source> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<Source>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let rel = path.strip_prefix(root).unwrap().to_string_lossy();
            let rel = rel.replace('\\', "/");
            if path.is_dir() {
                if rel != "src/bin" {
                    walk(&path, root, out);
                }
            } else if rel.ends_with(".rs") && rel != "src/lib.rs" {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push(Source::new(&rel, &text));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    walk(&root.join("src"), root, &mut out);
    out
}

/// One crate module named by a file.
#[derive(Debug, Clone)]
struct Reference {
    /// 1-based line of the name's last segment.
    line: usize,
    /// The path as written, groups expanded (`crate::engine::predictor::Predictor`).
    written: String,
    /// The module file it reaches.
    target: ModulePath,
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A path tree after `crate::` (or `super::`, `self::`): segments, `{...}` groups (nested,
/// across lines), `*`, `self` and `as` renames. Each leaf path comes with the byte offset of
/// its last segment.
fn parse_tree(s: &[u8], i: &mut usize) -> Vec<(Vec<String>, usize)> {
    let skip_ws = |i: &mut usize| {
        while *i < s.len() && s[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let at = *i;
    match s.get(*i) {
        Some(b'{') => {
            *i += 1;
            let mut out = Vec::new();
            loop {
                skip_ws(i);
                match s.get(*i) {
                    Some(b'}') => {
                        *i += 1;
                        break;
                    }
                    // Comments inside a multi-line group: skip to the end of the line.
                    Some(b'/') => {
                        while *i < s.len() && s[*i] != b'\n' {
                            *i += 1;
                        }
                    }
                    Some(_) => {
                        let before = *i;
                        out.extend(parse_tree(s, i));
                        skip_ws(i);
                        if s.get(*i) == Some(&b',') {
                            *i += 1;
                        } else if *i == before {
                            break; // not a path group after all
                        }
                    }
                    None => break,
                }
            }
            out
        }
        Some(b'*') => {
            *i += 1;
            vec![(Vec::new(), at)]
        }
        _ => {
            while *i < s.len() && is_ident(s[*i]) {
                *i += 1;
            }
            let ident = String::from_utf8_lossy(&s[at..*i]).into_owned();
            if ident.is_empty() {
                return vec![(Vec::new(), at)];
            }
            if s[*i..].starts_with(b"::") {
                *i += 2;
                return parse_tree(s, i)
                    .into_iter()
                    .map(|(mut path, offset)| {
                        path.insert(0, ident.clone());
                        (path, offset)
                    })
                    .collect();
            }
            // `a as b`: the rename does not change what is named.
            let mut j = *i;
            while j < s.len() && s[j] == b' ' {
                j += 1;
            }
            if s[j..].starts_with(b"as ") {
                j += 3;
                while j < s.len() && (s[j] == b' ' || is_ident(s[j])) {
                    j += 1;
                }
                *i = j;
            }
            // `{self, ...}` names the group's prefix itself.
            let path = if ident == "self" { vec![] } else { vec![ident] };
            vec![(path, at)]
        }
    }
}

/// The module each line of `src` is in: the file's module, or an inline module in it
/// (`mod tests { ... }`, found by rustfmt's layout: the block ends at the first `}` line with
/// the `mod` line's indentation).
fn line_modules(src: &Source) -> Vec<ModulePath> {
    let mut stack: Vec<(String, String)> = Vec::new(); // (closing line, name)
    let mut out = Vec::new();
    for line in src.text.lines() {
        let mut module = src.module.clone();
        module.extend(stack.iter().map(|(_, name)| name.clone()));
        out.push(module);
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let decl = trimmed
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub ");
        if let Some(rest) = decl.strip_prefix("mod ")
            && let Some(name) = rest.strip_suffix(" {")
            && name.bytes().all(is_ident)
        {
            stack.push((format!("{indent}}}"), name.to_string()));
        } else if stack.last().is_some_and(|(close, _)| close == line) {
            stack.pop();
        }
    }
    out
}

/// Every crate module `src` names, resolved against the known module files.
fn references(src: &Source, modules: &BTreeSet<ModulePath>) -> Vec<Reference> {
    let s = src.text.as_bytes();
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            s.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let line_of = |offset: usize| line_starts.partition_point(|&start| start <= offset);
    let in_module = line_modules(src);
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let prefix = [&b"crate::"[..], b"super::", b"self::"]
            .into_iter()
            .find(|p| s[i..].starts_with(p));
        let Some(prefix) = prefix.filter(|_| i == 0 || !is_ident(s[i - 1])) else {
            i += 1;
            continue;
        };
        let line = line_of(i);
        let here = &in_module[line - 1];
        let mut base: ModulePath = match prefix {
            b"crate::" => Vec::new(),
            _ => here.clone(),
        };
        let mut written = String::from_utf8_lossy(prefix).into_owned();
        let mut j = i + prefix.len();
        if prefix == b"super::" {
            base.pop();
            while s[j..].starts_with(b"super::") {
                base.pop();
                written.push_str("super::");
                j += "super::".len();
            }
        }
        for (path, offset) in parse_tree(s, &mut j) {
            let mut absolute = base.clone();
            absolute.extend(path.iter().cloned());
            let target = (0..=absolute.len())
                .rev()
                .map(|n| absolute[..n].to_vec())
                .find(|m| m.is_empty() || modules.contains(m))
                .unwrap();
            out.push(Reference {
                line: line_of(offset),
                written: format!("{written}{}", path.join("::")),
                target,
            });
        }
        i = j.max(i + 1);
    }
    out
}

/// The layer of a module, and the layers it may name.
fn layer(module: &[String]) -> Option<(usize, &'static str, &'static [&'static str])> {
    let first = module.first()?;
    LAYERS
        .iter()
        .enumerate()
        .find(|(_, (name, _))| name == first)
        .map(|(rank, (name, allowed))| (rank, *name, *allowed))
}

/// Every violation of the rules, as messages; empty when the architecture holds.
fn check(sources: &[Source]) -> Vec<String> {
    let mut modules: BTreeSet<ModulePath> = sources.iter().map(|s| s.module.clone()).collect();
    modules.insert(Vec::new());
    let mut errors = Vec::new();
    // from -> to -> where the first such name is written.
    let mut edges: BTreeMap<ModulePath, BTreeMap<ModulePath, String>> = BTreeMap::new();
    for src in sources {
        let Some((_, from_layer, allowed)) = layer(&src.module) else {
            errors.push(format!(
                "{}: module `{}` is in no layer: add its folder to LAYERS in \
                 tests/suite/architecture.rs (and to the crate docs)",
                src.file,
                show(&src.module)
            ));
            continue;
        };
        edges.entry(src.module.clone()).or_default();
        for r in references(src, &modules) {
            let at = format!("{}:{}", src.file, r.line);
            if r.target.is_empty() {
                errors.push(format!(
                    "{at}: `{}` names the crate root's re-export `{}`; name the module the \
                     item lives in",
                    show(&src.module),
                    r.written
                ));
                continue;
            }
            if r.target == src.module {
                continue;
            }
            let to_layer = layer(&r.target).map_or("no layer", |(_, name, _)| name);
            if to_layer != from_layer && !allowed.contains(&to_layer) {
                let rank = |name: &str| LAYERS.iter().position(|(l, _)| *l == name);
                let direction = if rank(to_layer) > rank(from_layer) {
                    "a higher layer"
                } else {
                    "a layer it may not use"
                };
                errors.push(format!(
                    "{at}: `{}` (layer `{from_layer}`) names `{}`, which is in layer \
                     `{to_layer}`, {direction}; `{from_layer}` may name only {allowed:?}",
                    show(&src.module),
                    r.written
                ));
            }
            edges
                .entry(src.module.clone())
                .or_default()
                .entry(r.target.clone())
                .or_insert(at);
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        let path: Vec<String> = cycle.iter().map(|m| show(m)).collect();
        let steps: Vec<String> = cycle
            .windows(2)
            .map(|w| {
                format!(
                    "{} -> {} at {}",
                    show(&w[0]),
                    show(&w[1]),
                    edges[&w[0]][&w[1]]
                )
            })
            .collect();
        errors.push(format!(
            "module dependency cycle: {} ({})",
            path.join(" -> "),
            steps.join("; ")
        ));
    }
    errors
}

/// A cycle of the graph as a path that ends where it starts, if there is one.
fn find_cycle(
    edges: &BTreeMap<ModulePath, BTreeMap<ModulePath, String>>,
) -> Option<Vec<ModulePath>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Active,
        Done,
    }
    fn visit(
        node: &ModulePath,
        edges: &BTreeMap<ModulePath, BTreeMap<ModulePath, String>>,
        marks: &mut BTreeMap<ModulePath, Mark>,
        stack: &mut Vec<ModulePath>,
    ) -> Option<Vec<ModulePath>> {
        marks.insert(node.clone(), Mark::Active);
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flat_map(BTreeMap::keys) {
            match marks.get(next) {
                Some(Mark::Active) => {
                    let start = stack.iter().position(|m| m == next).unwrap();
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(Mark::Done) => {}
                None => {
                    if let Some(cycle) = visit(next, edges, marks, stack) {
                        return Some(cycle);
                    }
                }
            }
        }
        stack.pop();
        marks.insert(node.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in edges.keys() {
        if !marks.contains_key(node)
            && let Some(cycle) = visit(node, edges, &mut marks, &mut Vec::new())
        {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn the_library_is_layered_without_cycles() {
    let sources = library_sources();
    assert!(
        sources.iter().any(|s| s.file == "src/engine/predictor.rs"),
        "the sources were not found"
    );
    let errors = check(&sources);
    assert!(
        errors.is_empty(),
        "the library's architecture is broken (see the crate docs, src/lib.rs):\n{}",
        errors.join("\n")
    );
}

#[test]
fn every_layer_has_a_folder_or_file() {
    let sources = library_sources();
    for (name, _) in LAYERS {
        assert!(
            sources
                .iter()
                .any(|s| s.module.first().map(String::as_str) == Some(*name)),
            "layer `{name}` has no module under src/"
        );
    }
}

// The checker itself, on small made-up crates: it must see what it is there to see.

#[test]
fn a_backward_reference_fails_with_file_and_line() {
    let errors = check(&[
        Source::new("src/error.rs", "//! Errors.\n"),
        Source::new(
            "src/input/sequence.rs",
            "use crate::error::Error;\n\n/// See [`crate::engine::predictor::Predictor`].\n",
        ),
        Source::new(
            "src/engine/predictor.rs",
            "use crate::input::sequence::X;\n",
        ),
    ]);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].starts_with(
            "src/input/sequence.rs:3: `input::sequence` (layer `input`) names \
             `crate::engine::predictor::Predictor`, which is in layer `engine`, a higher layer"
        ),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].starts_with("module dependency cycle: "),
        "{}",
        errors[1]
    );
}

#[test]
fn score_may_not_name_a_model() {
    let errors = check(&[
        Source::new(
            "src/score/dream.rs",
            "use crate::model::config::ArchConfig;\n",
        ),
        Source::new("src/model/config.rs", ""),
    ]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("a layer it may not use"),
        "{}",
        errors[0]
    );
}

#[test]
fn a_cycle_fails_as_a_path_through_groups_super_and_test_modules() {
    let errors = check(&[
        Source::new(
            "src/engine/a.rs",
            "use crate::{\n    error::Error,\n    engine::{b::{self, B}, c},\n};\n",
        ),
        Source::new(
            "src/engine/b.rs",
            "fn f() {}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::c::C;\n}\n",
        ),
        Source::new(
            "src/engine/c.rs",
            "/// Like [`super::a::A`].\npub struct C;\n",
        ),
        Source::new("src/error.rs", ""),
    ]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(
        errors[0],
        "module dependency cycle: engine::a -> engine::b -> engine::c -> engine::a \
         (engine::a -> engine::b at src/engine/a.rs:3; engine::b -> engine::c at \
         src/engine/b.rs:6; engine::c -> engine::a at src/engine/c.rs:1)"
    );
}

#[test]
fn crate_root_re_exports_and_unlayered_modules_fail() {
    let errors = check(&[
        Source::new(
            "src/analysis/design.rs",
            "fn run(p: &crate::Predictor) {}\n",
        ),
        Source::new("src/extra.rs", ""),
    ]);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].starts_with("src/analysis/design.rs:1: "),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("`crate::Predictor`"), "{}", errors[0]);
    assert!(
        errors[1].contains("`extra` is in no layer"),
        "{}",
        errors[1]
    );
}
