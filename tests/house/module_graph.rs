//! `src/` has no import circles: a file's `crate::…` paths (and those of the items the crate root re-exports)
//! name the files it depends on, and no file depends on itself through others.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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

/// The longest module prefix of `path` that is a file of the crate.
fn resolve<'m>(modules: &'m BTreeSet<String>, path: &str) -> Option<&'m String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .find_map(|n| modules.get(&parts[..n].join("::")))
}

/// Paths like `a::b::c` in `text` after `prefix` (also inside one level of `{…}` groups).
fn paths_after(text: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices(prefix) {
        let rest = &text[at + prefix.len()..];
        let head: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let head = head.trim_end_matches(':').to_owned();
        let after = &rest[head.len()..].trim_start_matches(':');
        if let Some(group) = after.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let item = item.split_whitespace().next().unwrap_or("");
                if !item.is_empty() {
                    found.push(if head.is_empty() {
                        item.to_owned()
                    } else {
                        format!("{head}::{item}")
                    });
                }
            }
        }
        if !head.is_empty() {
            found.push(head);
        }
    }
    found
}

#[test]
fn src_has_no_import_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let texts: BTreeMap<String, String> = all
        .iter()
        .map(|f| {
            (
                module_of(&src, f),
                code(&std::fs::read_to_string(f).unwrap()),
            )
        })
        .collect();
    let modules: BTreeSet<String> = texts.keys().cloned().collect();
    // What the crate root re-exports, by item name: `pub use keys::{SigningKey, …}` → `SigningKey` is in `keys`'s
    // file (or the file below it that defines it).
    let mut reexports = BTreeMap::new();
    for line in texts[""].split(';') {
        let Some(used) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        for path in paths_after(&format!("crate::{used}"), "crate::") {
            if let (Some(module), Some(item)) = (resolve(&modules, &path), path.rsplit("::").next())
            {
                reexports.insert(item.to_owned(), module.clone());
            }
        }
    }
    let mut edges: BTreeMap<&String, BTreeSet<&String>> = BTreeMap::new();
    for (module, text) in &texts {
        if module.is_empty() {
            continue;
        }
        let targets = edges.entry(module).or_default();
        for path in paths_after(text, "crate::") {
            let target = match resolve(&modules, &path) {
                Some(target) if !target.is_empty() => Some(target),
                _ => path.split("::").next().and_then(|item| reexports.get(item)),
            };
            if let Some(target) = target.filter(|t| *t != module && !t.is_empty()) {
                // A parent module file naming its own children is not a dependency circle.
                if !target.starts_with(&format!("{module}::")) {
                    targets.insert(target);
                }
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit<'a>(
        node: &'a String,
        edges: &BTreeMap<&'a String, BTreeSet<&'a String>>,
        path: &mut Vec<&'a String>,
        done: &mut BTreeSet<&'a String>,
    ) {
        if done.contains(node) {
            return;
        }
        if let Some(start) = path.iter().position(|n| *n == node) {
            let circle: Vec<&str> = path[start..].iter().map(|s| s.as_str()).collect();
            panic!("import circle: {} -> {node}", circle.join(" -> "));
        }
        path.push(node);
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, path, done);
        }
        path.pop();
        done.insert(node);
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        visit(node, &edges, &mut Vec::new(), &mut done);
    }
    assert!(
        edges.len() > 30,
        "the graph was read: {} files",
        edges.len()
    );
}
