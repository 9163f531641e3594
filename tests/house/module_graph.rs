//! `src/` has no module-level import circles, and `src/store/` depends only on the token facts it needs.
//!
//! Every path a file names — `crate::a::b::Item`, `super::Item`, each leaf of a `use` group (nested groups
//! included) — is resolved to the file that defines the item, following the `pub use` re-exports of `lib.rs` and
//! of every `mod.rs` (`crate::Foo` re-exported from `store::memory` is an edge to `store`). An edge between two
//! files is an edge between the top-level modules of `src/` they belong to, or, inside one folder, between the
//! two sibling submodules (files or folders) of that folder they belong to. A folder's `mod.rs` and its children
//! may name each other freely (that is the folder itself).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What `src/store/**` may import (modules and everything below them): the store itself, and token facts — the
/// clock, the errors and a verified token's facts (`TokenInfo`, in `token::info`). Nothing of the layer, the
/// sessions, the issuer, the keys, DPoP, JOSE parsing or the rest of `token`.
const STORE_MAY_IMPORT: [&str; 4] = ["store", "clock", "error", "token::info"];

/// Every `.rs` file below `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/keys/jwks/mod.rs` → `keys::jwks`, `src/lib.rs` → ``.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

/// The code of a file without comments and without its unit tests.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The parent module: `a::b` → `a`, `a` → ``.
fn parent(module: &str) -> &str {
    module.rsplit_once("::").map_or("", |(head, _)| head)
}

fn join(head: &str, tail: &str) -> String {
    match (head.is_empty(), tail.is_empty()) {
        (true, _) => tail.to_owned(),
        (_, true) => head.to_owned(),
        _ => format!("{head}::{tail}"),
    }
}

/// The leaves of a use tree: `a::{b, c::{d, e as f}, self}` → `a::b`, `a::c::d`, `a::c::e`, `a`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let leaf = tree.split(" as ").next().unwrap_or("").trim();
        return vec![leaf.trim_end_matches("::").to_owned()];
    };
    let head = tree[..open].trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut items, mut depth, mut start) = (Vec::new(), 0, 0);
    for (at, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .flat_map(expand)
        .map(|leaf| match leaf.as_str() {
            "self" => head.to_owned(),
            _ => join(head, &leaf),
        })
        .collect()
}

/// The `use` statements of a file (`pub use` and `pub(crate) use` included) as `(public, tree)`, and the code
/// without them.
fn split_uses(text: &str) -> (Vec<(bool, String)>, String) {
    let (mut uses, mut rest) = (Vec::new(), String::new());
    let mut remaining = text;
    while let Some(at) = find_use(remaining) {
        rest.push_str(&remaining[..at]);
        let statement = &remaining[at..];
        let end = statement.find(';').unwrap_or(statement.len());
        let (visibility, tree) = statement[..end].split_once("use ").unwrap();
        uses.push((visibility.trim().starts_with("pub"), tree.to_owned()));
        remaining = &statement[(end + 1).min(statement.len())..];
    }
    rest.push_str(remaining);
    (uses, rest)
}

/// Where the next `use` statement starts (at its `pub…` when it has one).
fn find_use(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let body = trimmed
            .strip_prefix("pub(crate) ")
            .or_else(|| trimmed.strip_prefix("pub(super) "))
            .or_else(|| trimmed.strip_prefix("pub "))
            .unwrap_or(trimmed);
        if body.starts_with("use ") && is_use_tree(&text[offset + line.len() - body.len()..]) {
            return Some(offset + line.len() - trimmed.len());
        }
        offset += line.len();
    }
    None
}

/// Whether `statement` (starting at `use `) is a use declaration up to its `;`, not prose that happens to start
/// a line with "use " (a continued string literal, for instance): only path characters may come before the `;`.
fn is_use_tree(statement: &str) -> bool {
    let end = statement.find(';').unwrap_or(statement.len());
    statement["use ".len()..end]
        .chars()
        .all(|c| c.is_alphanumeric() || "_:{},*$ \n\t".contains(c))
}

/// Paths in code outside `use` statements: `crate::a::B`, `super::B`, `$crate::B`.
fn inline_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for prefix in ["crate::", "super::"] {
        for (at, _) in text.match_indices(prefix) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = text[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            found.push(path.trim_end_matches(':').to_owned());
        }
    }
    found
}

/// A path as the crate sees it from `module` (a file's module; `is_folder` for `mod.rs`/`lib.rs`): `crate::a`
/// → `a`, `super::a` → the parent's `a`, `self::a` and a child module's `a::…` → below `module`.
fn absolute(
    path: &str,
    module: &str,
    is_folder: bool,
    modules: &BTreeSet<String>,
) -> Option<String> {
    let path = path.trim_start_matches('$');
    if let Some(rest) = path.strip_prefix("crate::") {
        return Some(rest.to_owned());
    }
    let mut base = if is_folder {
        module.to_owned()
    } else {
        parent(module).to_owned()
    };
    let mut rest = path;
    if let Some(tail) = rest.strip_prefix("self::") {
        return Some(join(module, tail));
    }
    let mut climbed = false;
    while let Some(tail) = rest.strip_prefix("super::") {
        if climbed || is_folder {
            base = parent(&base).to_owned();
        }
        climbed = true;
        rest = tail;
    }
    if climbed {
        return Some(join(&base, rest));
    }
    // A relative path into a child module (`pub use sessions::Sessions;` in a `mod.rs`).
    let head = rest.split("::").next().unwrap_or("");
    let child = join(module, head);
    (is_folder && modules.contains(&child)).then(|| join(module, rest))
}

struct Crate {
    modules: BTreeSet<String>,
    /// Per module, its re-exports: item name → the absolute path it names.
    reexports: BTreeMap<String, BTreeMap<String, String>>,
}

impl Crate {
    /// The file module that defines what `path` names, following re-exports.
    fn resolve(&self, path: &str, depth: usize) -> Option<String> {
        let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
        let n = (0..=parts.len())
            .rev()
            .find(|n| self.modules.contains(&parts[..*n].join("::")))?;
        let module = parts[..n].join("::");
        let Some(item) = parts.get(n) else {
            return Some(module);
        };
        match self.reexports.get(&module).and_then(|r| r.get(*item)) {
            Some(target) if depth < 16 => {
                let rest = parts[n + 1..].join("::");
                self.resolve(&join(target, &rest), depth + 1)
                    .or(Some(module))
            }
            _ => Some(module),
        }
    }
}

/// The two ends of an edge between files, lifted to siblings: the children of their closest common folder they
/// belong to. `None` when one contains the other (a folder and its own files).
fn lift(from: &str, to: &str) -> Option<(String, String)> {
    let a: Vec<&str> = from.split("::").collect();
    let b: Vec<&str> = to.split("::").collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == a.len() || common == b.len() {
        return None;
    }
    Some((a[..=common].join("::"), b[..=common].join("::")))
}

/// Module-level edges, each with one file-level import that makes it.
type Edges = BTreeMap<String, BTreeMap<String, String>>;

fn graph() -> (Edges, BTreeMap<String, BTreeSet<String>>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut parsed = BTreeMap::new();
    for file in &all {
        let is_folder = matches!(
            file.file_name().and_then(|n| n.to_str()),
            Some("mod.rs" | "lib.rs")
        );
        let text = code(&std::fs::read_to_string(file).unwrap());
        parsed.insert(module_of(&src, file), (is_folder, split_uses(&text)));
    }
    let modules: BTreeSet<String> = parsed.keys().cloned().collect();
    let mut krate = Crate {
        modules: modules.clone(),
        reexports: BTreeMap::new(),
    };
    for (module, (is_folder, (uses, _))) in &parsed {
        for (_, tree) in uses.iter().filter(|(public, _)| *public) {
            for leaf in expand(tree) {
                let Some(target) = absolute(&leaf, module, *is_folder, &modules) else {
                    continue;
                };
                let alias = tree_alias(tree, &leaf);
                krate
                    .reexports
                    .entry(module.clone())
                    .or_default()
                    .insert(alias, target);
            }
        }
    }
    let mut edges = Edges::new();
    let mut file_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, (is_folder, (uses, rest))) in &parsed {
        if module.is_empty() {
            continue;
        }
        let paths = uses
            .iter()
            .flat_map(|(_, tree)| expand(tree))
            .chain(inline_paths(rest));
        for path in paths {
            let Some(target) = absolute(&path, module, *is_folder, &modules)
                .and_then(|absolute| krate.resolve(&absolute, 0))
            else {
                continue;
            };
            if target.is_empty() {
                continue;
            }
            file_edges
                .entry(module.clone())
                .or_default()
                .insert(target.clone());
            if let Some((from, to)) = lift(module, &target) {
                let why = format!("{module} uses {path} (in {target})");
                edges.entry(from).or_default().entry(to).or_insert(why);
            }
        }
    }
    (edges, file_edges)
}

/// The name a leaf of a `pub use` tree is re-exported as (`a::B as C` → `C`, `a::B` → `B`).
fn tree_alias(tree: &str, leaf: &str) -> String {
    let last = leaf.rsplit("::").next().unwrap_or(leaf).to_owned();
    let flat: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.split([',', '{', '}'])
        .map(str::trim)
        .find_map(|item| {
            let (name, alias) = item.split_once(" as ")?;
            (name.rsplit("::").next() == Some(last.as_str())).then(|| alias.trim().to_owned())
        })
        .unwrap_or(last)
}

/// The circles of the graph: its strongly connected components of more than one module, each as one circle.
fn circles(edges: &Edges) -> Vec<Vec<String>> {
    let reach = |start: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(node) = stack.pop() {
            for next in edges.get(&node).into_iter().flat_map(|e| e.keys()) {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        edges.keys().map(|node| (node, reach(node))).collect();
    let mut found: Vec<Vec<String>> = Vec::new();
    for (node, from_node) in &reachable {
        if !from_node.contains(*node) || found.iter().any(|c| c.contains(*node)) {
            continue;
        }
        let component: Vec<String> = from_node
            .iter()
            .filter(|other| reachable.get(other).is_some_and(|r| r.contains(*node)))
            .cloned()
            .collect();
        found.push(component);
    }
    found
}

#[test]
fn src_has_no_module_level_import_circles() {
    let (edges, file_edges) = graph();
    assert!(
        file_edges.len() > 60 && edges.len() > 20,
        "the graph was read: {} files, {} modules",
        file_edges.len(),
        edges.len()
    );
    let circles = circles(&edges);
    let report: Vec<String> = circles
        .iter()
        .map(|circle| {
            let inside: Vec<&String> = circle
                .iter()
                .flat_map(|from| {
                    edges[from]
                        .iter()
                        .filter(|(to, _)| circle.contains(to))
                        .map(|(_, why)| why)
                })
                .collect();
            format!(
                "circle {{{}}}, made by:\n    {}",
                circle.join(", "),
                inside
                    .iter()
                    .map(|w| w.as_str())
                    .collect::<Vec<_>>()
                    .join("\n    ")
            )
        })
        .collect();
    assert!(
        circles.is_empty(),
        "module-level import circles:\n{}",
        report.join("\n")
    );
}

#[test]
fn the_store_imports_only_token_facts() {
    let (_, file_edges) = graph();
    let store_files: Vec<_> = file_edges
        .keys()
        .filter(|m| *m == "store" || m.starts_with("store::"))
        .collect();
    assert!(store_files.len() > 5, "the store's files were read");
    let forbidden: Vec<String> = store_files
        .iter()
        .flat_map(|file| {
            file_edges[*file]
                .iter()
                .filter(|target| {
                    !STORE_MAY_IMPORT.iter().any(|allowed| {
                        *target == allowed || target.starts_with(&format!("{allowed}::"))
                    })
                })
                .map(move |target| format!("{file} imports {target}"))
        })
        .collect();
    assert!(
        forbidden.is_empty(),
        "src/store/ may import only {STORE_MAY_IMPORT:?}:\n{}",
        forbidden.join("\n")
    );
}

#[test]
fn re_exports_and_groups_are_edges() {
    // The reader itself: nested groups, aliases, `self`, and paths reached through re-exports.
    assert_eq!(
        expand("a::{b, c::{d, e as f}, self}"),
        ["a::b", "a::c::d", "a::c::e", "a"]
    );
    assert_eq!(tree_alias("a::{B as C, D}", "a::B"), "C");
    // A string literal continued on a line that starts with "use " is prose, not an import.
    let (uses, _) = split_uses("let m = \"keys are\n    use a 2048-bit key\";\nuse crate::a::B;\n");
    assert_eq!(uses, [(false, "crate::a::B".to_owned())]);
    let (_, file_edges) = graph();
    // `crate::MemoryStore` is re-exported by lib.rs from `store`, which re-exports it from `store::memory`.
    let layer_or_testing_uses_memory = file_edges
        .values()
        .any(|targets| targets.contains("store::memory"));
    assert!(layer_or_testing_uses_memory, "{file_edges:#?}");
    assert_eq!(
        lift("session::login", "store::contract"),
        Some(("session".into(), "store".into()))
    );
    assert_eq!(
        lift("layer::pipeline::verify", "layer::future"),
        Some(("layer::pipeline".into(), "layer::future".into()))
    );
    assert_eq!(lift("dpop::builder", "dpop"), None);
}
