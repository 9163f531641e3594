//! The README's Layout table lists exactly the entries of `src/` and `tests/`: each listed path exists, and every
//! file and directory directly under `src/` and `tests/` is listed.

use std::collections::BTreeSet;
use std::path::Path;

fn listed() -> BTreeSet<String> {
    let readme = include_str!("../../README.md");
    let layout = readme
        .split("## Layout")
        .nth(1)
        .and_then(|rest| rest.split("```text").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("a ```text block in the Layout section");
    layout
        .lines()
        .filter(|line| !line.starts_with(' ') && !line.trim().is_empty())
        .map(|line| line.split_whitespace().next().unwrap().to_owned())
        .collect()
}

fn present(dir: &str) -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_dir(root.join(dir))
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            let slash = if entry.file_type().unwrap().is_dir() {
                "/"
            } else {
                ""
            };
            format!("{dir}/{name}{slash}")
        })
        .collect()
}

#[test]
fn the_readme_layout_matches_the_tree() {
    let listed = listed();
    let mut present = present("src");
    present.extend(present_tests());
    let missing: Vec<_> = present.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&present).collect();
    assert!(
        missing.is_empty(),
        "in the tree but not in the README's Layout: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "in the README's Layout but not in the tree: {stale:?}"
    );
}

fn present_tests() -> BTreeSet<String> {
    present("tests")
        .into_iter()
        // proptest writes regression files next to the tests that found them.
        .filter(|path| !path.ends_with(".proptest-regressions"))
        .collect()
}
