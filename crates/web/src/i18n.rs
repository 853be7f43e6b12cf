//! Interface languages: Simplified Chinese first, English second. Messages live in TOML
//! catalogs: the shell's (`i18n/zh-CN.toml`, `i18n/en.toml`) and one pair per module
//! (`i18n/<module>/zh-CN.toml`, `…/en.toml`), all merged into one catalog per language at load.
//! A module's folder is found by itself; tests keep the languages in step and every key unique.

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

    /// The same language for rendering messages by code.
    pub fn message_lang(self) -> domain::message::Lang {
        match self {
            Lang::Zh => domain::message::Lang::Zh,
            Lang::En => domain::message::Lang::En,
        }
    }

    /// The language chosen by cookie; Chinese by default.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self::from_cookie(headers).unwrap_or(Lang::Zh)
    }

    /// The language of the `anwei_lang` cookie, if it names one.
    pub fn from_cookie(headers: &HeaderMap) -> Option<Self> {
        headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == LANG_COOKIE)
            .and_then(|(_, value)| Lang::parse(value))
    }

    /// English when the first language of `Accept-Language` is English; Chinese otherwise.
    pub fn from_accept_language(headers: &HeaderMap) -> Self {
        let first = headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).unwrap_or("");
        if first.trim().to_ascii_lowercase().starts_with("en") { Lang::En } else { Lang::Zh }
    }
}

/// Whether the reader chose English: files and documents made for them are then wholly English.
pub fn english(headers: &HeaderMap) -> bool {
    Lang::from_headers(headers) == Lang::En
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

    /// The message for `key`, if the catalog has it (for keys made from stored codes, which
    /// fall back to the code).
    pub fn lookup(&self, key: &str) -> Option<&str> {
        self.messages.get(key).map(String::as_str)
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

    /// A message by code, in this catalog's language.
    pub fn render(&self, message: &domain::message::Message) -> String {
        message.render(self.lang.message_lang())
    }
}

/// Every catalog file, embedded in the binary.
#[derive(rust_embed::RustEmbed)]
#[folder = "i18n/"]
struct CatalogFiles;

impl Lang {
    /// The name of this language's catalog files.
    fn file_name(self) -> String {
        format!("{}.toml", self.code())
    }
}

/// One catalog file: its path under `i18n/`, and its messages or why they do not parse.
type CatalogFile = (String, Result<HashMap<String, String>, String>);

/// Each catalog file of `lang`, by path.
fn catalog_files(lang: Lang) -> Vec<CatalogFile> {
    let name = lang.file_name();
    let mut files: Vec<_> = CatalogFiles::iter()
        .filter(|path| path.rsplit('/').next() == Some(name.as_str()))
        .map(|path| {
            let parsed = match CatalogFiles::get(&path) {
                Some(file) => std::str::from_utf8(&file.data).map_err(|e| e.to_string()).and_then(|text| toml::from_str(text).map_err(|e| e.to_string())),
                None => Err("not embedded".into()),
            };
            (path.into_owned(), parsed)
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

fn load(lang: Lang) -> Catalog {
    let mut messages = HashMap::new();
    for (path, parsed) in catalog_files(lang) {
        match parsed {
            Ok(part) => {
                for (key, text) in part {
                    if messages.insert(key.clone(), text).is_some() {
                        tracing::error!(%key, file = %path, lang = lang.code(), "message key defined twice");
                    }
                }
            }
            Err(error) => tracing::error!(%error, file = %path, lang = lang.code(), "message catalog does not parse"),
        }
    }
    Catalog { lang, messages }
}

static ZH: LazyLock<Catalog> = LazyLock::new(|| load(Lang::Zh));
static EN: LazyLock<Catalog> = LazyLock::new(|| load(Lang::En));

#[cfg(test)]
mod tests {
    use super::*;

    /// Each module's catalogs parse, hold the same keys in both languages, and no key is defined
    /// in two files.
    #[test]
    fn catalogs_parse_and_have_the_same_keys_once() {
        let keys_by_file = |lang: Lang| -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
            catalog_files(lang)
                .into_iter()
                .map(|(path, parsed)| {
                    let folder = path.rsplit_once('/').map(|(folder, _)| folder.to_owned()).unwrap_or_default();
                    (folder, parsed.unwrap_or_else(|e| panic!("{path}: {e}")).into_keys().collect())
                })
                .collect()
        };
        let (zh, en) = (keys_by_file(Lang::Zh), keys_by_file(Lang::En));
        assert_eq!(zh.keys().collect::<Vec<_>>(), en.keys().collect::<Vec<_>>(), "every folder has both languages");
        assert!(zh.len() > 5, "the module catalogs are found: {:?}", zh.keys());
        for (folder, keys) in &zh {
            assert_eq!(keys, &en[folder], "i18n/{folder}: the same keys in both languages");
        }
        let mut seen = std::collections::BTreeSet::new();
        for (folder, keys) in &zh {
            for key in keys {
                assert!(seen.insert(key.clone()), "{key} is defined twice (again in i18n/{folder})");
            }
        }
        assert_eq!(Catalog::for_lang(Lang::En).messages.len(), seen.len(), "the merged catalog holds every key");
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
