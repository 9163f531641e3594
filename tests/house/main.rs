//! The house rules, checked against the tree: the standards checklist maps every item to its test, the README's
//! Layout table lists the tree, and src/ has no import circles.

mod checklist;
mod module_graph;
mod readme_layout;
