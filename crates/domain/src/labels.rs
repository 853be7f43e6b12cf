//! Enums stored and sent by a stable key, shown by a label in each language: one macro makes
//! them all, so that every such enum parses, prints and refuses an unknown stored key the same way.

/// A stored key that names no variant: the stored row is damaged (never read as a default).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownKey {
    pub what: &'static str,
    pub value: String,
}

/// `labelled_enum!(/// doc  Name { Variant = "key", "中文", "English"; ... })` makes the enum with
/// `ALL`, `key`, `label_zh`, `label_en`, `label(english)`, a strict `from_key` (stored values), a
/// lenient `parse` (key or either label, for what people type), `TryFrom<String>` (strict, for
/// database rows), `Display` (the key) and comparison with a key (`state == "closed"`).
macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $key:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$variant_meta])* $variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable key stored in the database and used by the API.
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key,)+ }
            }

            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }

            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }

            /// The label in English when `english`, else in Chinese.
            pub fn label(self, english: bool) -> &'static str {
                if english { self.label_en() } else { self.label_zh() }
            }

            /// The variant with exactly this key.
            pub fn from_key(key: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.key() == key)
            }

            /// Accepts the key, the Chinese label or the English label (case-insensitive).
            pub fn parse(input: &str) -> Option<Self> {
                let input = input.trim();
                Self::ALL.iter().copied().find(|v| {
                    v.key() == input || v.label_zh() == input || v.label_en().eq_ignore_ascii_case(input)
                })
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::labels::UnknownKey;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::from_key(&value).ok_or($crate::labels::UnknownKey { what: stringify!($name), value })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.key())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, key: &&str) -> bool {
                self.key() == *key
            }
        }
    };
}

pub(crate) use labelled_enum;

#[cfg(test)]
mod tests {
    labelled_enum!(
        /// A test enum.
        Colour {
            DeepRed = "deep_red", "深红", "Deep red";
            Blue = "blue", "蓝", "Blue";
        }
    );

    #[test]
    fn keys_labels_and_stored_values() {
        assert_eq!(Colour::from_key("deep_red"), Some(Colour::DeepRed));
        assert_eq!(Colour::from_key("深红"), None, "stored values are keys only");
        assert_eq!(Colour::parse(" deep RED "), Some(Colour::DeepRed));
        assert_eq!(Colour::parse("蓝"), Some(Colour::Blue));
        assert_eq!(Colour::try_from("blue".to_owned()), Ok(Colour::Blue));
        let refused = Colour::try_from("green".to_owned()).unwrap_err();
        assert_eq!(refused.to_string(), "unknown Colour \"green\"");
        assert_eq!(Colour::DeepRed.to_string(), "deep_red");
        assert!(Colour::DeepRed == "deep_red" && Colour::Blue != "deep_red");
        assert_eq!(Colour::Blue.label(true), "Blue");
    }
}
