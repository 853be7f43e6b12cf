//! Messages for people by code: every refusal, problem and notice the layers below `web` give is
//! a [`Message`], a stable code with named arguments. Its text lives only in the catalogs
//! (`messages/zh-CN.toml`, `messages/en.toml`, one `code = "text with {name}"` per line, grouped
//! by module), and is rendered in the reader's language where it is shown.

use std::collections::HashMap;
use std::sync::OnceLock;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// A language messages are rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Zh,
    En,
}

/// A message: its code and its arguments, rendered by [`Message::render`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub code: Cow<'static, str>,
    pub args: Vec<(Cow<'static, str>, Arg)>,
}

/// An argument of a message: a value shown as it is, or a message rendered in the same language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    Text(String),
    Message(Box<Message>),
    /// Several messages, rendered one after the other, separated by semicolons.
    List(Vec<Message>),
}

/// `message!("module.code", name = value, other => message, ...)`: a [`Message`]; a `=` argument
/// is shown with `Display`, a `=>` argument is another message rendered in the same language.
#[macro_export]
macro_rules! message {
    ($code:literal $(, $name:ident $op:tt $value:expr)* $(,)?) => {
        $crate::message::Message {
            code: std::borrow::Cow::Borrowed($code),
            args: vec![$((std::borrow::Cow::Borrowed(stringify!($name)), $crate::message_arg!($op $value))),*],
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! message_arg {
    (= $value:expr) => {
        $crate::message::Arg::Text(($value).to_string())
    };
    (=> $value:expr) => {
        $crate::message::Arg::Message(Box::new($value))
    };
}

const ZH: &str = include_str!("../messages/zh-CN.toml");
const EN: &str = include_str!("../messages/en.toml");

/// The catalogs, parsed once. A catalog that does not parse is a build defect, caught by the
/// tests below; at run time it leaves the catalog empty and messages show their codes.
fn catalog(lang: Lang) -> &'static HashMap<String, String> {
    static CATALOGS: OnceLock<[HashMap<String, String>; 2]> = OnceLock::new();
    let catalogs = CATALOGS.get_or_init(|| [toml::from_str(ZH).unwrap_or_default(), toml::from_str(EN).unwrap_or_default()]);
    match lang {
        Lang::Zh => &catalogs[0],
        Lang::En => &catalogs[1],
    }
}

impl Message {
    /// The text in `lang`, each `{name}` replaced by its argument; the code itself when the
    /// catalog has no text for it.
    pub fn render(&self, lang: Lang) -> String {
        let Some(text) = catalog(lang).get(self.code.as_ref()) else { return self.code.to_string() };
        // One pass over the text, so that an argument's own braces (a user's text) are never
        // taken for a placeholder.
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let argument = after.find('}').and_then(|close| {
                let name = &after[..close];
                self.args.iter().find(|(arg, _)| arg == name).map(|(_, value)| (close, value))
            });
            match argument {
                Some((close, value)) => {
                    match value {
                        Arg::Text(text) => out.push_str(text),
                        Arg::Message(message) => out.push_str(&message.render(lang)),
                        Arg::List(messages) => {
                            out.push_str(&messages.iter().map(|m| m.render(lang)).collect::<Vec<_>>().join(if lang == Lang::Zh { ";" } else { "; " }))
                        }
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

impl Message {
    /// Several messages as one (each field's problem of a rejected row, say).
    pub fn joined(messages: Vec<Message>) -> Message {
        Message { code: Cow::Borrowed("common.list"), args: vec![(Cow::Borrowed("items"), Arg::List(messages))] }
    }

    /// The message as stored with a record (a notice, say), to be rendered when it is read.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.code.to_string())
    }

    /// A stored message; text stored before messages had codes is shown as it is.
    pub fn from_stored(stored: &str) -> Message {
        serde_json::from_str(stored)
            .unwrap_or_else(|_| Message { code: Cow::Borrowed("common.text"), args: vec![(Cow::Borrowed("text"), Arg::Text(stored.to_owned()))] })
    }
}

/// For logs and the command line, which have no language setting: both languages, Chinese
/// first (`中文 / English`), or one text where they are the same.
impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (zh, en) = (self.render(Lang::Zh), self.render(Lang::En));
        if zh == en { f.write_str(&zh) } else { write!(f, "{zh} / {en}") }
    }
}

/// The codes of both catalogs with the placeholders each text names, for the tests here and the
/// source scans of other crates.
pub fn catalog_placeholders(lang: Lang) -> Vec<(String, Vec<String>)> {
    let mut entries: Vec<(String, Vec<String>)> = catalog(lang)
        .iter()
        .map(|(code, text)| {
            let mut names: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
                .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_'))
                .collect();
            names.sort();
            names.dedup();
            (code.clone(), names)
        })
        .collect();
    entries.sort();
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_parse_and_name_the_same_codes() {
        assert!(toml::from_str::<HashMap<String, String>>(ZH).is_ok(), "messages/zh-CN.toml parses");
        assert!(toml::from_str::<HashMap<String, String>>(EN).is_ok(), "messages/en.toml parses");
        let codes = |lang| catalog_placeholders(lang).into_iter().map(|(code, _)| code).collect::<Vec<_>>();
        assert!(!codes(Lang::Zh).is_empty());
        assert_eq!(codes(Lang::Zh), codes(Lang::En), "the same codes in both languages");
    }

    #[test]
    fn arguments_are_put_in_and_unknown_codes_show_themselves() {
        let message = crate::message!("hidden_dangers.photos_at_most", limit = 9);
        assert_eq!(message.render(Lang::En), "at most 9 photos per hidden danger");
        assert_eq!(message.render(Lang::Zh), "每条隐患最多9张照片");
        assert_eq!(crate::message!("no.such.code").render(Lang::En), "no.such.code");
        let nested = crate::message!("common.field_problem", field = "location", problem => crate::message!("enterprises.required"));
        assert_eq!((nested.render(Lang::Zh), nested.render(Lang::En)), ("location:不能为空".to_owned(), "location: is required".to_owned()));
        let braces = crate::message!("common.field_problem", field = "{problem}", problem = "{field}");
        assert_eq!(braces.render(Lang::En), "{problem}: {field}", "an argument's braces are left alone");
        let stored = Message::from_stored(&nested.to_stored());
        assert_eq!(stored.render(Lang::En), "location: is required", "a stored message renders the same");
        assert_eq!(Message::from_stored("旧的通知(an old notice)").render(Lang::En), "旧的通知(an old notice)", "text stored before codes shows as it is");
    }
}
