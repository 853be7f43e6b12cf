//! Text normalisation shared by every lookup of names: Traditional to Simplified Chinese (OpenCC),
//! variant characters, fullwidth forms and whitespace.

use std::sync::LazyLock;

use ferrous_opencc::{OpenCC, config::BuiltinConfig};

static TRADITIONAL_TO_SIMPLIFIED: LazyLock<Option<OpenCC>> = LazyLock::new(|| OpenCC::from_config(BuiltinConfig::T2s).ok());

/// Converts Traditional Chinese (and variant characters that OpenCC maps) to Simplified Chinese.
/// Text that is already Simplified comes back unchanged.
pub fn to_simplified(text: &str) -> String {
    match TRADITIONAL_TO_SIMPLIFIED.as_ref() {
        Some(converter) => converter.convert(text),
        None => text.to_owned(),
    }
}

/// Variant characters (异体字) that OpenCC's Traditional-to-Simplified table leaves alone but that
/// appear in official names, mapped to their standard Simplified form.
const VARIANTS: [(char, char); 12] = [
    ('衞', '卫'),
    ('爲', '为'),
    ('綫', '线'),
    ('羣', '群'),
    ('峯', '峰'),
    ('衆', '众'),
    ('竝', '并'),
    ('僞', '伪'),
    ('啓', '启'),
    ('敎', '教'),
    ('鷄', '鸡'),
    ('晉', '晋'),
];

/// The key under which a name is looked up: Simplified script, fullwidth ASCII and brackets
/// folded to halfwidth, all whitespace removed.
pub fn lookup_key(name: &str) -> String {
    let without_whitespace: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    fold_to_simplified(&without_whitespace)
}

/// The same folding as [`lookup_key`] but keeping whitespace and line breaks, for whole documents:
/// fullwidth ASCII and brackets to halfwidth, the ideographic space to a space, variant characters
/// to their standard form, then Traditional to Simplified.
pub fn fold_to_simplified(text: &str) -> String {
    let folded: String = text
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            other => VARIANTS.iter().find(|(variant, _)| *variant == other).map(|(_, standard)| *standard).unwrap_or(other),
        })
        .collect();
    to_simplified(&folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_and_variant_forms_share_a_key() {
        assert_eq!(lookup_key("省衞生健康委"), lookup_key("省卫生健康委"));
        assert_eq!(lookup_key("省應急管理廳"), "省应急管理厅");
        assert_eq!(lookup_key(" 各县（市、区）人民政府 "), "各县(市、区)人民政府");
        assert_eq!(to_simplified("省应急管理厅"), "省应急管理厅");
    }

    #[test]
    fn folding_a_document_keeps_its_layout() {
        assert_eq!(fold_to_simplified("一、加強\r\n1．省衞生健康委（牽頭）\u{3000}x"), "一、加强\r\n1.省卫生健康委(牵头) x");
    }
}
