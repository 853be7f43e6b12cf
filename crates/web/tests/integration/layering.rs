//! The layers hold: `web` and `mqtt` reach the data through `app` only, never through the store
//! that `app` holds (its row types they may still name, as `app` passes them on).

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use crate::source_files::rust_sources;

/// Lines of `text` that call the store or the monitor `app` holds: `.store.` / `.store\n` (a method
/// chain), `store::Store`, or `.monitor.`.
fn store_calls(text: &str) -> Vec<(usize, String)> {
    let mut calls = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let chained = code.trim_end().ends_with(".store") || code.trim() == ".store";
        if code.contains(".store.") || code.contains("store::Store") || code.contains(".monitor.") || chained {
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
        files.extend(rust_sources(&root.join(crate_dir)));
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
    assert_eq!(store_calls("let latest = state.app.monitor.latest_of(&codes).await;").len(), 1);
    assert_eq!(store_calls("let s = DatabaseSessionStore::new(app.clone()); // not .store.").len(), 0);
}

/// The workspace crates a crate's `[dependencies]` name (its dev-dependencies aside).
fn workspace_dependencies(manifest: &str, workspace: &[&str]) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_dependencies = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        let name = line.split(['.', ' ', '=']).next().unwrap_or_default();
        if in_dependencies && workspace.contains(&name) {
            names.push(name.to_owned());
        }
    }
    names.sort();
    names
}

/// The crate graph is `domain ← store ← monitor ← app ← {web, mqtt, demo} ← anwei`: each crate
/// depends on the crates below it and on no other (`bench` sits beside `anwei`, which runs it;
/// `pdf`, which writes documents and knows nothing of anwei, is used by `app` alone).
#[test]
fn the_crate_graph_holds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let workspace = ["domain", "store", "monitor", "app", "web", "mqtt", "demo", "bench", "anwei", "pdf"];
    let allowed: [(&str, &[&str]); 10] = [
        ("pdf", &[]),
        ("domain", &[]),
        ("store", &["domain"]),
        ("monitor", &["domain", "store"]),
        ("app", &["domain", "monitor", "pdf", "store"]),
        ("web", &["app", "domain"]),
        ("mqtt", &["app", "domain"]),
        ("demo", &["app", "domain", "monitor", "store"]),
        ("bench", &["app", "demo", "domain", "monitor", "store"]),
        ("anwei", &["app", "bench", "demo", "domain", "monitor", "mqtt", "store", "web"]),
    ];
    let mut seen = 0;
    for (name, may_use) in allowed {
        let path = root.join(name).join("Cargo.toml");
        let manifest = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        seen += 1;
        let used = workspace_dependencies(&manifest, &workspace);
        let beyond: Vec<&String> = used.iter().filter(|u| !may_use.contains(&u.as_str())).collect();
        assert!(beyond.is_empty(), "{name} depends on {beyond:?}, outside the crate graph");
    }
    assert_eq!(seen, allowed.len(), "every crate's manifest is found");
}

#[test]
fn the_graph_check_sees_a_dependency() {
    let manifest =
        "[package]\nname = \"web\"\n[dependencies]\napp.workspace = true\nstore = { workspace = true }\n[dev-dependencies]\nmonitor.workspace = true\n";
    assert_eq!(workspace_dependencies(manifest, &["app", "store", "monitor"]), ["app", "store"]);
}

/// Lines of `text` that decide by the caller's role themselves (`actor.role ==`, `!=`,
/// `matches!(…actor.role`, `match …actor.role`) instead of asking `app::policy`.
fn role_decisions(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.split("//").next().unwrap_or_default();
            code.contains("actor.role ==")
                || code.contains("actor.role !=")
                || (code.contains("matches!(") && code.contains("actor.role,"))
                || (code.contains("match ") && code.contains("actor.role {"))
        })
        .map(|(i, line)| (i + 1, line.trim().to_owned()))
        .collect()
}

/// The web layer shows what `app::policy` allows: it never decides by role itself.
#[test]
fn web_asks_the_policy_instead_of_deciding_by_role() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_sources(&root);
    let found: Vec<String> =
        files.iter().flat_map(|(path, text)| role_decisions(text).into_iter().map(move |(line, code)| format!("{path}:{line}: {code}"))).collect();
    assert!(found.is_empty(), "role decisions in the web layer (ask app::policy::allows):\n{}", found.join("\n"));
}

#[test]
fn the_role_scan_sees_a_decision() {
    assert_eq!(role_decisions("let decides = user.actor.role == Role::Regulator;").len(), 1);
    assert_eq!(role_decisions("    let x = matches!(user.actor.role, Role::Enterprise | Role::Inspector);").len(), 1);
    assert_eq!(role_decisions("    let ingest_tokens = match user.actor.role {").len(), 1);
    assert_eq!(role_decisions("let label = user.actor.role.label_zh();").len(), 0);
    assert_eq!(role_decisions("lead: cell.role == \"lead\",").len(), 0);
}
