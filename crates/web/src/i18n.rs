//! Interface languages: Simplified Chinese first, English second. Messages live in TOML
//! catalogs (`i18n/zh-CN.toml`, `i18n/en.toml`) with the same keys; a test keeps them in step.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::HeaderMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

pub const LANG_COOKIE: &str = "anwei_lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language chosen by cookie; Chinese by default.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == LANG_COOKIE)
            .and_then(|(_, value)| Lang::parse(value))
            .unwrap_or(Lang::Zh)
    }
}

/// One language's messages.
#[derive(Debug)]
pub struct Catalog {
    pub lang: Lang,
    messages: HashMap<String, String>,
}

impl Catalog {
    /// The message for `key`; the key itself if missing (and the catalog test fails).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.messages.get(key).map(String::as_str).unwrap_or(key)
    }

    pub fn for_lang(lang: Lang) -> &'static Catalog {
        match lang {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }
}

fn load(lang: Lang, text: &str) -> Catalog {
    let messages = toml::from_str::<HashMap<String, String>>(text).unwrap_or_else(|error| {
        tracing::error!(%error, lang = lang.code(), "message catalog does not parse");
        HashMap::new()
    });
    Catalog { lang, messages }
}

static ZH: LazyLock<Catalog> = LazyLock::new(|| load(Lang::Zh, include_str!("../i18n/zh-CN.toml")));
static EN: LazyLock<Catalog> = LazyLock::new(|| load(Lang::En, include_str!("../i18n/en.toml")));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_parse_and_have_the_same_keys() {
        let zh: HashMap<String, String> = toml::from_str(include_str!("../i18n/zh-CN.toml")).unwrap();
        let en: HashMap<String, String> = toml::from_str(include_str!("../i18n/en.toml")).unwrap();
        let mut zh_keys: Vec<_> = zh.keys().collect();
        let mut en_keys: Vec<_> = en.keys().collect();
        zh_keys.sort();
        en_keys.sort();
        assert_eq!(zh_keys, en_keys);
        assert!(zh.len() > 20);
    }

    /// Every file under `dir` (recursively) whose name ends in one of `extensions`.
    fn files_under(dir: &std::path::Path, extensions: &[&str], found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files_under(&path, extensions, found);
            } else if extensions.iter().any(|ext| path.extension().is_some_and(|e| e == *ext)) {
                found.push(path);
            }
        }
    }

    /// Every message key that a template or the web crate's code asks for (`t.get` of a literal) is in
    /// both catalogs. The files are found on disk, so a new template is checked without being
    /// listed anywhere.
    #[test]
    fn every_key_asked_for_exists_in_both_languages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        files_under(&root.join("templates"), &["html"], &mut files);
        let templates = files.len();
        files_under(&root.join("src"), &["rs"], &mut files);
        assert!(templates >= 40, "the templates are found: {templates}");
        let mut asked = 0;
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for part in text.split("t.get(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                // This file's own pattern, and keys built at run time, are not keys.
                if key.is_empty() || key.contains('{') || key.contains('\\') {
                    continue;
                }
                asked += 1;
                for lang in [Lang::Zh, Lang::En] {
                    assert_ne!(Catalog::for_lang(lang).get(key), key, "{}: message {key} is missing in {}", file.display(), lang.code());
                }
            }
        }
        assert!(asked > 500, "keys are found: {asked}");
    }
}
