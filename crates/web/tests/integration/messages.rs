//! Messages by code hold together: every `message!` call of every crate names a code both
//! catalogs have and gives every argument their texts name, and no text for people is written
//! in both languages outside the catalogs.

// Test helpers unwrap too: a panic with its message is how a test reports failure.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use domain::message::{Lang, catalog_placeholders};

use crate::source_files::rust_sources;

/// Every crate's `src`.
fn workspace_sources() -> Vec<(String, String)> {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            files.extend(rust_sources(&src));
        }
    }
    assert!(files.len() > 100, "the sources are found: {}", files.len());
    files
}

/// The `message!` calls of `text`: each code with the names of its arguments.
fn message_calls(text: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut calls = Vec::new();
    for (start, _) in text.match_indices("message!(") {
        let Some(rest) = text[start + "message!(".len()..].trim_start().strip_prefix('"') else { continue };
        let Some(code_end) = rest.find('"') else { continue };
        let code = rest[..code_end].to_owned();
        // The call's arguments, up to its closing parenthesis.
        let mut depth = 1;
        let mut end = code_end;
        for (index, character) in rest[code_end..].char_indices() {
            match character {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = code_end + index;
                break;
            }
        }
        let arguments = &rest[code_end + 1..end];
        let mut names = BTreeSet::new();
        let mut nesting = 0;
        let mut piece = String::new();
        for character in arguments.chars().chain([',']) {
            match character {
                '(' | '[' | '{' => nesting += 1,
                ')' | ']' | '}' => nesting -= 1,
                ',' if nesting == 0 => {
                    let name: String = piece.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() {
                        names.insert(name);
                    }
                    piece.clear();
                    continue;
                }
                _ => {}
            }
            piece.push(character);
        }
        calls.push((code, names));
    }
    calls
}

/// Both texts of a code show the same values, apart from a value given in each language (named
/// `…_zh` and `…_en`: a role's label, a field's name in each language).
#[test]
fn both_languages_show_the_same_values() {
    let (zh, en): (BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<String>>) =
        (catalog_placeholders(Lang::Zh).into_iter().collect(), catalog_placeholders(Lang::En).into_iter().collect());
    let per_language = |name: &str| name.ends_with("_zh") || name.ends_with("_en");
    let mut problems = Vec::new();
    for (code, zh_names) in &zh {
        let en_names = en.get(code).cloned().unwrap_or_default();
        let only_zh: Vec<&String> = zh_names.iter().filter(|n| !en_names.contains(n) && !per_language(n)).collect();
        let only_en: Vec<&String> = en_names.iter().filter(|n| !zh_names.contains(n) && !per_language(n)).collect();
        if !only_zh.is_empty() || !only_en.is_empty() {
            problems.push(format!("{code}: only in Chinese {only_zh:?}, only in English {only_en:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_message_has_its_texts_and_their_arguments() {
    let catalogs: Vec<BTreeMap<String, Vec<String>>> = [Lang::Zh, Lang::En].into_iter().map(|lang| catalog_placeholders(lang).into_iter().collect()).collect();
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    let mut calls = 0;
    // The macro's own file shows it with codes that are not in the catalogs.
    for (path, text) in workspace_sources().into_iter().filter(|(path, _)| !path.ends_with("domain/src/message.rs")) {
        for (code, names) in message_calls(&text) {
            calls += 1;
            used.insert(code.clone());
            for (catalog, language) in catalogs.iter().zip(["zh-CN", "en"]) {
                match catalog.get(&code) {
                    None => problems.push(format!("{path}: {code} has no {language} text")),
                    Some(placeholders) => {
                        for placeholder in placeholders.iter().filter(|p| !names.contains(*p)) {
                            problems.push(format!("{path}: {code} ({language}) names {{{placeholder}}}, which the call does not give"));
                        }
                    }
                }
            }
        }
    }
    assert!(calls > 300, "the calls are found: {calls}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Codes built at run time (a message stored with a record) are rendered the same way; the
    // catalogs hold nothing else, so that a text nobody shows does not linger.
    let built_at_run_time = ["common.text", "common.list"];
    let unused: Vec<&String> = catalogs[0].keys().filter(|code| !used.contains(*code) && !built_at_run_time.contains(&code.as_str())).collect();
    assert!(unused.is_empty(), "catalog texts no call uses: {unused:?}");
}

/// A string literal holding Chinese and, after ` / `, more text: a message in both languages.
fn bilingual_literals(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        for literal in code.split('"').skip(1).step_by(2) {
            let chinese = literal.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            if chinese && literal.contains(" / ") {
                found.push(line.trim().to_owned());
            }
        }
    }
    found
}

#[test]
fn no_text_is_written_in_both_languages_outside_the_catalogs() {
    let found: Vec<String> =
        workspace_sources().iter().flat_map(|(path, text)| bilingual_literals(text).into_iter().map(move |line| format!("{path}: {line}"))).collect();
    assert!(found.is_empty(), "texts in both languages (give them a code in domain/messages):\n{}", found.join("\n"));
}

#[test]
fn the_scans_see_what_they_look_for() {
    let calls = message_calls("x(domain::message!(\n    \"a.b\", max = f(1, 2), nested => crate::message!(\"c.d\")));");
    assert_eq!(calls[0], ("a.b".to_owned(), ["max", "nested"].map(str::to_owned).into()));
    assert_eq!(calls[1].0, "c.d");
    assert_eq!(bilingual_literals(r#"let m = "未找到 / not found";"#).len(), 1);
    assert!(bilingual_literals(r#"let m = "量程下限 range_min"; // 中文 / English"#).is_empty());
}
