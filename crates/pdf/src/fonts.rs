//! The documents' font: finding a CJK font on the system (or the configured one), checking it, and
//! measuring characters with it (skrifa's character map and horizontal advances; no shaping).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::raw::FileRef;
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};

use crate::PdfError;

/// Largest font file read (Noto Sans CJK, a collection of ten faces, has about 20 MB).
const FONT_BYTES_MAX: u64 = 64 * 1024 * 1024;

/// Faces of a collection looked at; real collections have a few dozen at most.
const FACES_MAX: u32 = 256;

/// Where Debian's font packages put CJK fonts, in order of preference: `fonts-noto-cjk`,
/// `fonts-wqy-microhei`, `fonts-wqy-zenhei`, `fonts-droid-fallback`, `fonts-arphic-uming`.
const SYSTEM_FONTS: [&str; 6] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
];

/// The character a font must have to count as covering Chinese: 安, as in 安全.
const CHINESE_PROBE: char = '安';

/// How far the top of the em box is above the baseline, in ems: CJK fonts put the ideographic em
/// box from -0.12 to 0.88 em, and Latin capitals stay below it.
pub(crate) const EM_BOX_ASCENT: f32 = 0.88;

/// A CJK-capable font for documents.
///
/// Cloning is cheap: the font's bytes are shared.
#[derive(Clone)]
pub struct Fonts {
    /// The font krilla embeds (subset) and draws with.
    font: krilla::text::Font,
    /// The font file's bytes (the same ones `font` holds), for skrifa to measure with.
    data: Arc<Vec<u8>>,
    /// The face within a collection (0 for a single font).
    index: u32,
    source: String,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").field("source", &self.source).field("index", &self.index).field("bytes", &self.data.len()).finish()
    }
}

impl Fonts {
    /// The font at `configured` if given (a .ttf/.otf/.ttc; for a .ttc the face whose family name
    /// has the word "SC" or "CN" and covers Chinese, else the first face covering Chinese), else the
    /// first of the usual Debian CJK fonts that exists and covers Chinese:
    /// /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc,
    /// /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc,
    /// /usr/share/fonts/truetype/wqy/wqy-microhei.ttc, /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc,
    /// /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf,
    /// /usr/share/fonts/truetype/arphic/uming.ttc.
    ///
    /// Reads the chosen file once; a file over 64 MiB is refused before it is read.
    ///
    /// # Errors
    /// `BadFont` when the configured file cannot be read, is too large, is not a font or has no
    /// face covering Chinese; `NoFont` when nothing is configured and none of the usual fonts
    /// is usable.
    pub fn discover(configured: Option<&Path>) -> Result<Fonts, PdfError> {
        if let Some(path) = configured {
            return load(path);
        }
        let mut tried = Vec::with_capacity(SYSTEM_FONTS.len());
        for candidate in SYSTEM_FONTS {
            let path = Path::new(candidate);
            if !path.exists() {
                tried.push(candidate.to_owned());
                continue;
            }
            match load(path) {
                Ok(fonts) => return Ok(fonts),
                Err(error) => tried.push(format!("{candidate} ({error})")),
            }
        }
        Err(PdfError::NoFont { tried })
    }

    /// The face `index` (0 unless a collection) of the font in `bytes`. Unlike `discover`, the
    /// font need not cover Chinese (characters it lacks are drawn as its missing-glyph box).
    ///
    /// # Errors
    /// `BadFont` (path `<bytes>`) when the bytes are not a usable font or have no such face.
    pub fn from_bytes(bytes: Vec<u8>, index: u32) -> Result<Fonts, PdfError> {
        Fonts::new(bytes, index, "<bytes>".to_owned())
    }

    /// The file the font came from (`<bytes>` for `from_bytes`), for logs.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Checks the face and hands it to krilla.
    fn new(bytes: Vec<u8>, index: u32, source: String) -> Result<Fonts, PdfError> {
        let bad = |reason: String| PdfError::BadFont { path: source.clone(), reason };
        {
            let face = FontRef::from_index(&bytes, index).map_err(|error| bad(format!("not a font, or no face {index}: {error}")))?;
            let units_per_em = face.metrics(Size::unscaled(), LocationRef::default()).units_per_em;
            // The range the OpenType specification allows; measuring divides by it.
            if !(16..=16384).contains(&units_per_em) {
                return Err(bad(format!("units per em {units_per_em} is out of range")));
            }
            if !face.charmap().has_map() {
                return Err(bad("the font has no usable character map".to_owned()));
            }
        }
        let data = Arc::new(bytes);
        // krilla reads the font's tables again; a malformed font must not take the caller down.
        // (The bytes are only read: nothing is left half-changed if it panics.)
        let shared = krilla::Data::from(Arc::clone(&data));
        let font = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || krilla::text::Font::new(shared, index)))
            .ok()
            .flatten()
            .ok_or_else(|| bad("krilla cannot read the font".to_owned()))?;
        Ok(Fonts { font, data, index, source })
    }

    /// The font krilla draws with.
    pub(crate) fn krilla_font(&self) -> &krilla::text::Font {
        &self.font
    }

    /// The measuring side of the font.
    pub(crate) fn metrics(&self) -> Result<Metrics<'_>, PdfError> {
        let face = FontRef::from_index(&self.data, self.index).map_err(|error| PdfError::Render(format!("reading the font: {error}")))?;
        let units_per_em = f32::from(face.metrics(Size::unscaled(), LocationRef::default()).units_per_em.max(1));
        let glyphs = face.glyph_metrics(Size::unscaled(), LocationRef::default());
        let charmap = face.charmap();
        let advance = |glyph: skrifa::GlyphId| normalised(glyphs.advance_width(glyph), units_per_em);
        let space = charmap.map(' ').map_or(0.25, advance);
        let notdef = advance(skrifa::GlyphId::NOTDEF);
        Ok(Metrics { charmap, glyphs, units_per_em, space, notdef })
    }
}

/// An advance in font units as a fraction of the em; unknown or absurd ones count as nothing.
fn normalised(advance: Option<f32>, units_per_em: f32) -> f32 {
    let em = advance.unwrap_or(0.0) / units_per_em;
    if em.is_finite() { em.clamp(0.0, 8.0) } else { 0.0 }
}

/// Reads a font file (bounded) and picks its face covering Chinese.
fn load(path: &Path) -> Result<Fonts, PdfError> {
    let name = path.display().to_string();
    let bad = |reason: String| PdfError::BadFont { path: name.clone(), reason };
    let file = std::fs::File::open(path).map_err(|error| bad(error.to_string()))?;
    let metadata = file.metadata().map_err(|error| bad(error.to_string()))?;
    if !metadata.is_file() {
        return Err(bad("not a file".to_owned()));
    }
    let too_large = |size: u64| bad(format!("the file has {size} bytes, more than the {} MiB a font may have", FONT_BYTES_MAX >> 20));
    if metadata.len() > FONT_BYTES_MAX {
        return Err(too_large(metadata.len()));
    }
    // The file may have grown since: read at most one byte more than allowed.
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(FONT_BYTES_MAX + 1).read_to_end(&mut bytes).map_err(|error| bad(error.to_string()))?;
    if bytes.len() as u64 > FONT_BYTES_MAX {
        return Err(too_large(bytes.len() as u64));
    }
    let index = chinese_face(&bytes).map_err(bad)?;
    Fonts::new(bytes, index, name)
}

/// The face of a font file to use for Chinese: a collection's face named "… SC" or "… CN" (Noto
/// Sans CJK SC, AR PL UMing CN) if it covers Chinese, else its first face that does.
fn chinese_face(bytes: &[u8]) -> Result<u32, String> {
    let no_chinese = || format!("no face of the font covers Chinese ({CHINESE_PROBE})");
    match FileRef::new(bytes).map_err(|error| format!("not a font file: {error}"))? {
        FileRef::Font(face) => {
            if covers_chinese(&face) {
                Ok(0)
            } else {
                Err(no_chinese())
            }
        }
        FileRef::Collection(collection) => {
            let faces: Vec<(u32, FontRef<'_>)> = (0..collection.len().min(FACES_MAX))
                .filter_map(|index| collection.get(index).ok().map(|face| (index, face)))
                .filter(|(_, face)| covers_chinese(face))
                .collect();
            let simplified = faces.iter().find(|(_, face)| names_simplified_chinese(face));
            simplified.or(faces.first()).map(|(index, _)| *index).ok_or_else(no_chinese)
        }
    }
}

fn covers_chinese(face: &FontRef<'_>) -> bool {
    face.charmap().map(CHINESE_PROBE).is_some_and(|glyph| glyph != skrifa::GlyphId::NOTDEF)
}

/// Whether the face's family name has the word "SC" or "CN" (simplified Chinese, mainland China).
fn names_simplified_chinese(face: &FontRef<'_>) -> bool {
    [StringId::FAMILY_NAME, StringId::TYPOGRAPHIC_FAMILY_NAME].into_iter().any(|id| {
        face.localized_strings(id).any(|name| {
            let name = name.to_string();
            name.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| word == "SC" || word == "CN")
        })
    })
}

/// How characters are drawn with the font: glyphs and advances (in ems).
pub(crate) struct Metrics<'a> {
    charmap: skrifa::charmap::Charmap<'a>,
    glyphs: GlyphMetrics<'a>,
    units_per_em: f32,
    /// The advance of a space (for whitespace the font lacks, such as a tab).
    space: f32,
    /// The advance of the missing-glyph box.
    notdef: f32,
}

impl Metrics<'_> {
    /// The glyph drawn for `c` (none: nothing is drawn, only the advance is kept) and its advance
    /// in ems. A character the font lacks draws the font's missing-glyph box, except whitespace
    /// (a space's advance) and invisible format characters (nothing).
    pub(crate) fn glyph(&self, c: char) -> (Option<u32>, f32) {
        if c.is_control() {
            // Tabs and the like advance like a space; line ends and other controls take nothing.
            let advance = if c.is_whitespace() && c != '\n' && c != '\r' { self.space } else { 0.0 };
            return (None, advance);
        }
        match self.charmap.map(c) {
            Some(glyph) if glyph != skrifa::GlyphId::NOTDEF => (Some(glyph.to_u32()), normalised(self.glyphs.advance_width(glyph), self.units_per_em)),
            _ if c.is_whitespace() => (None, self.space),
            _ if is_default_ignorable(c) => (None, 0.0),
            _ => (Some(0), self.notdef),
        }
    }

    /// The advance of `c` in ems.
    pub(crate) fn advance(&self, c: char) -> f32 {
        self.glyph(c).1
    }

    /// The width of `text` in points at `size`.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c) * size).sum()
    }
}

/// Characters that are invisible unless a font draws them: zero-width spaces and joiners, direction
/// marks, the soft hyphen, variation selectors, the byte-order mark.
fn is_default_ignorable(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{034F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{E0100}'..='\u{E01EF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_collection_gives_its_simplified_chinese_face() {
        let Some(fonts) = crate::fixtures::fonts_or_skip("a_collection_gives_its_simplified_chinese_face") else { return };
        let face = FontRef::from_index(&fonts.data, fonts.index).unwrap();
        assert!(covers_chinese(&face));
        if matches!(FileRef::new(&fonts.data), Ok(FileRef::Collection(_))) {
            assert!(names_simplified_chinese(&face), "face {} of {}", fonts.index, fonts.source);
        }
    }

    #[test]
    fn characters_the_font_lacks_are_boxes_or_nothing() {
        let Some(fonts) = crate::fixtures::fonts_or_skip("characters_the_font_lacks_are_boxes_or_nothing") else { return };
        let metrics = fonts.metrics().unwrap();
        let (an, width) = metrics.glyph('安');
        assert!(an.is_some_and(|glyph| glyph != 0) && (width - 1.0).abs() < 0.01, "{an:?} {width}");
        assert_eq!(metrics.glyph('\n'), (None, 0.0));
        assert_eq!(metrics.glyph('\u{200B}').0.filter(|glyph| *glyph != 0), metrics.glyph('\u{200B}').0);
        assert_eq!(metrics.glyph('\t'), (None, metrics.space));
        // A private-use character no font here has: the missing-glyph box.
        assert_eq!(metrics.glyph('\u{10FFFD}'), (Some(0), metrics.notdef));
    }
}
