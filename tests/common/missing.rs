//! What a test (or bench) does when a server binary it needs is not installed: skip with a loud message, or,
//! under CI (`CI` set), fail — `.ci/run` installs every server, so CI never skips.
#![allow(dead_code, unreachable_pub)]

/// Says loudly that `what` is skipped because `binary` is missing (install it with `install`); panics under CI.
pub fn missing(what: &str, binary: &str, install: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{binary} is not installed, and CI must not skip {what}");
    }
    eprintln!("\n!!!!! SKIPPING {what}: {binary} is not installed ({install}) !!!!!\n");
}
