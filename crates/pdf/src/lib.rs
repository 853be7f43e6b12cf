//! anwei's PDF documents: simple A4 documents (records, reports) made of titles, headings,
//! paragraphs, label–value fields, tables and photos, in Chinese and English, rendered to PDF.
//!
//! This crate owns the layout and the PDF writing; what a document says is the caller's. krilla
//! writes the PDF (and subsets the font into it). Text is not shaped: each character is mapped to
//! its glyph with skrifa (no kerning or ligatures, which Chinese does not need), so krilla's
//! `simple-text` feature and its shaper stay out.
//!
//! Images are users' uploads: only JPEG and PNG are drawn, their size is checked from their
//! headers before anything is decoded, and one that cannot be drawn becomes a placeholder box.
//!
//! - `fonts`: finding the CJK font ([`Fonts`]) and measuring characters with it.
//! - `wrap`: line breaking (CJK anywhere, English between words, no closing punctuation first).
//! - `images`: recognising, bounding and trying images.
//! - `layout`: blocks to positioned lines, boxes and images, page by page, with footers.
//! - `draw`: the laid-out pages through krilla.

mod draw;
mod fonts;
mod images;
mod layout;
mod wrap;

pub use fonts::Fonts;
pub use images::png_size;

use images::Prepared;

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// No font was configured and none of the usual CJK fonts is installed.
    #[error("no Chinese font found; install the Debian package `fonts-noto-cjk` or configure a font file (tried: {})", .tried.join(", "))]
    NoFont { tried: Vec<String> },
    /// The font file cannot be used.
    #[error("font {path} cannot be used: {reason}")]
    BadFont { path: String, reason: String },
    /// krilla could not write the document.
    #[error("PDF rendering failed: {0}")]
    Render(String),
}

/// A document: metadata, a footer, and the blocks laid out one below the other.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The PDF's title (metadata only; a `Title` block is what shows on the page).
    pub title: String,
    /// The PDF's language, such as "zh-CN" or "en" (metadata; "zh…" also makes the placeholder
    /// of an image not shown Chinese).
    pub language: String,
    /// The left part of every page's footer (such as the organisation); cut to one line.
    pub footer: String,
    /// The right part of every page's footer, with `{page}` and `{pages}` replaced by the page's
    /// number and the number of pages: "第 {page} 页 / 共 {pages} 页", "Page {page} of {pages}".
    pub page_of: String,
    /// What the pages show, top to bottom.
    pub blocks: Vec<Block>,
}

/// A part of a document.
#[derive(Clone)]
pub enum Block {
    /// Large, bold, centred.
    Title(String),
    /// A section heading, kept with what follows it.
    Heading(String),
    /// Wrapped text; '\n' starts a new line.
    Paragraph(String),
    /// Label–value pairs in a two-column grid (labels in the shaded first 28% of the width), each
    /// wrapped in its cell.
    Fields(Vec<(String, String)>),
    /// A bordered table with a shaded header row repeated on every page it spans. `widths` are
    /// relative (a missing, zero or negative one counts as the average of the others); a row with
    /// more cells than `widths` adds columns. Cells are wrapped; a row is only split between pages
    /// when it is taller than a page.
    Table { widths: Vec<f32>, header: Vec<String>, rows: Vec<Vec<String>> },
    /// A JPEG or PNG (recognised by its bytes) across the width, at most `max_height_pt` high
    /// (keeping its aspect), with its caption under it. Anything else, or an image too large or
    /// corrupt, is drawn as a thin box instead.
    Image { bytes: Vec<u8>, caption: String, max_height_pt: f32 },
    /// Thumbnails three to a row, each at most 150 pt high, with their captions.
    Images(Vec<(Vec<u8>, String)>),
    /// Vertical space in points; more than is left on the page (`f32::INFINITY`, say) starts a
    /// new page.
    Spacer(f32),
    /// Starts a new page unless this much room (points) is left: what follows is kept together
    /// (a heading with the signature under it, say).
    KeepSpace(f32),
}

/// Images show as their size, not their bytes.
impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Bytes(usize);
        impl std::fmt::Debug for Bytes {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "<{} bytes>", self.0)
            }
        }
        match self {
            Block::Title(text) => f.debug_tuple("Title").field(text).finish(),
            Block::Heading(text) => f.debug_tuple("Heading").field(text).finish(),
            Block::Paragraph(text) => f.debug_tuple("Paragraph").field(text).finish(),
            Block::Fields(pairs) => f.debug_tuple("Fields").field(pairs).finish(),
            Block::Table { widths, header, rows } => f.debug_struct("Table").field("widths", widths).field("header", header).field("rows", rows).finish(),
            Block::Image { bytes, caption, max_height_pt } => {
                f.debug_struct("Image").field("bytes", &Bytes(bytes.len())).field("caption", caption).field("max_height_pt", max_height_pt).finish()
            }
            Block::Images(items) => {
                f.debug_tuple("Images").field(&items.iter().map(|(bytes, caption)| (Bytes(bytes.len()), caption)).collect::<Vec<_>>()).finish()
            }
            Block::Spacer(height) => f.debug_tuple("Spacer").field(height).finish(),
            Block::KeepSpace(height) => f.debug_tuple("KeepSpace").field(height).finish(),
        }
    }
}

/// Renders the document as a PDF with the font in `fonts`.
///
/// Never panics: characters the font lacks are drawn as its missing-glyph box, images that cannot
/// be drawn as placeholders, and odd sizes are taken as the nearest sensible ones.
///
/// # Errors
/// `Render` when krilla cannot write the document even with every image replaced by its
/// placeholder (such as a font it cannot embed).
pub fn render(document: &Document, fonts: &Fonts) -> Result<Vec<u8>, PdfError> {
    // The last line of defence for a server: a bug here or in a dependency is an error, not a
    // crash of the request's thread.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| render_with(document, fonts, true)))
        .unwrap_or_else(|_| Err(PdfError::Render("the renderer stopped on an unexpected error".to_owned())))
}

/// Renders; `probe` tries each image alone first (see `images::prepare`).
fn render_with(document: &Document, fonts: &Fonts, probe: bool) -> Result<Vec<u8>, PdfError> {
    let metrics = fonts.metrics()?;
    let images: Vec<Prepared> = image_bytes(document).map(|bytes| images::prepare(bytes, probe)).collect();
    let attempt = |images: &[Prepared]| {
        let pages = layout::lay_out(document, &metrics, images);
        draw::draw(document, fonts, &metrics, &pages, images)
    };
    match attempt(&images) {
        // An image krilla took but could not embed after all: every image becomes a placeholder
        // rather than the whole document failing.
        Err(_) if images.iter().any(Prepared::is_image) => attempt(&vec![Prepared::Placeholder; images.len()]),
        rendered => rendered,
    }
}

/// The document's images, in the order the layout meets them.
fn image_bytes(document: &Document) -> impl Iterator<Item = &[u8]> {
    document.blocks.iter().flat_map(|block| {
        let images: Box<dyn Iterator<Item = &[u8]>> = match block {
            Block::Image { bytes, .. } => Box::new(std::iter::once(bytes.as_slice())),
            Block::Images(items) => Box::new(items.iter().map(|(bytes, _)| bytes.as_slice())),
            _ => Box::new(std::iter::empty()),
        };
        images
    })
}

// The integration tests' fixtures, which name this crate `pdf`.
#[cfg(test)]
extern crate self as pdf;
#[cfg(test)]
#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;

    #[test]
    fn an_image_failing_only_when_the_pdf_is_finished_becomes_a_placeholder() {
        let Some(fonts) = fonts_or_skip("an_image_failing_only_when_the_pdf_is_finished_becomes_a_placeholder") else { return };
        let image = |bytes| Block::Image { bytes, caption: "照片".to_owned(), max_height_pt: 100.0 };
        let document = Document { blocks: vec![image(tiny_jpeg()), image(corrupt_png())], ..Document::default() };
        // krilla accepts the corrupt PNG (its header is fine)…
        assert!(images::prepare(&corrupt_png(), false).is_image());
        // …so without trying images alone, finishing the PDF fails and it is rendered again with
        // every image a placeholder;
        assert_eq!(image_objects(&load(&render_with(&document, &fonts, false).unwrap())), (0, 0));
        // tried alone first, only the corrupt one is replaced.
        assert!(!images::prepare(&corrupt_png(), true).is_image());
        assert_eq!(image_objects(&load(&render(&document, &fonts).unwrap())), (1, 0));
    }

    #[test]
    fn images_debug_as_their_size() {
        let block = Block::Images(vec![(vec![0; 2048], "照片".to_owned())]);
        assert_eq!(format!("{block:?}"), r#"Images([(<2048 bytes>, "照片")])"#);
    }
}
