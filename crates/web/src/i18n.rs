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

    #[test]
    fn every_key_used_in_templates_exists() {
        let zh = Catalog::for_lang(Lang::Zh);
        for template in crate::pages::TEMPLATE_SOURCES {
            for part in template.split("t.get(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert_ne!(zh.get(key), key, "missing message {key}");
            }
        }
    }
}
