//! The layers hold: `web` and `mqtt` reach the data through `app` only, never through the store
//! that `app` holds (its row types they may still name, as `app` passes them on).

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

fn sources(dir: &std::path::Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// Lines of `text` that call the store: `.store.` / `.store\n` (a method chain) or `store::Store`.
fn store_calls(text: &str) -> Vec<(usize, String)> {
    let mut calls = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let chained = code.trim_end().ends_with(".store") || code.trim() == ".store";
        if code.contains(".store.") || code.contains("store::Store") || chained {
            calls.push((i + 1, line.trim().to_owned()));
        }
    }
    calls
}

#[test]
fn web_and_mqtt_reach_the_data_through_app_only() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for crate_dir in ["web/src", "mqtt/src"] {
        sources(&root.join(crate_dir), &mut files);
    }
    assert!(files.len() > 20, "the sources are found: {}", files.len());
    let found: Vec<String> =
        files.iter().flat_map(|(path, text)| store_calls(text).into_iter().map(move |(line, code)| format!("{path}:{line}: {code}"))).collect();
    assert!(found.is_empty(), "store calls above app:\n{}", found.join("\n"));
}

#[test]
fn the_scan_sees_a_store_call() {
    assert_eq!(store_calls("let x = state.app.store.user(1).await;").len(), 1);
    assert_eq!(store_calls("        .store\n        .user(1)").len(), 1);
    assert_eq!(store_calls("let s = DatabaseSessionStore::new(app.clone()); // not .store.").len(), 0);
}
