//! Shared by the compiler's integration tests (each declares `mod common;` and uses a
//! subset, hence the `dead_code` allowance).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The `.mpc` programs of the corpus (`compiler/tests/programs/`) and of `examples/`,
/// sorted by path.
pub fn programs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [root.join("tests/programs"), root.join("../examples")] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "mpc") {
                    files.push(p);
                }
            }
        }
    }
    files.sort();
    files
}

/// The texts of [`programs`] (unreadable files skipped).
pub fn sources() -> Vec<String> {
    programs().iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect()
}
