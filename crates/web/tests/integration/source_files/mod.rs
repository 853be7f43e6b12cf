//! The Rust sources the tests that scan the code read: every `.rs` file under a folder, with its
//! path and text.

/// Every `.rs` file under `dir`, recursively: (path, text).
pub fn rust_sources(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    collect(dir, &mut found);
    found
}

fn collect(dir: &std::path::Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path();
        if path.is_dir() {
            collect(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            found.push((path.display().to_string(), text));
        }
    }
}
