//! Drawing laid-out pages with krilla: text as glyph runs (our own character-to-glyph mapping), boxes
//! and rules as paths, images as image objects; and the document's metadata.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, LineJoin, Stroke};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};

use crate::fonts::{Fonts, Metrics};
use crate::images::Prepared;
use crate::layout::{Op, PAGE_HEIGHT, PAGE_WIDTH, Page};
use crate::{Document, PdfError};

/// Width of borders and rules (pt).
const LINE_WIDTH: f32 = 0.5;
/// The outline that fakes bold text, as a share of the font size.
const BOLD_STROKE: f32 = 0.025;

/// Writes the pages as a PDF.
pub(crate) fn draw(document: &Document, fonts: &Fonts, metrics: &Metrics<'_>, pages: &[Page<'_>], images: &[Prepared]) -> Result<Vec<u8>, PdfError> {
    let mut pdf = krilla::Document::new();
    let mut metadata = Metadata::new().title(document.title.clone()).creator("anwei".to_owned());
    let language = document.language.trim();
    if !language.is_empty() {
        metadata = metadata.language(language.to_owned());
    }
    pdf.set_metadata(metadata);
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or_else(|| PdfError::Render("krilla refused the A4 page size".to_owned()))?;
    for ops in pages {
        let mut page = pdf.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text { x, y, size, text, bold, grey } => draw_text(&mut surface, fonts, metrics, Point::from_xy(*x, *y), *size, text, *bold, *grey),
                Op::Rect { x, y, width, height, fill, border } => {
                    if let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) {
                        let mut path = PathBuilder::new();
                        path.push_rect(rect);
                        draw_path(&mut surface, path, *fill, *border);
                    }
                }
                Op::Rule { x1, x2, y, grey } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y);
                    path.line_to(*x2, *y);
                    draw_path(&mut surface, path, None, Some(*grey));
                }
                Op::Image { index, x, y, width, height } => {
                    if let (Some(Prepared::Image { image, .. }), Some(size)) = (images.get(*index), Size::from_wh(*width, *height)) {
                        surface.push_transform(&Transform::from_translate(*x, *y));
                        surface.draw_image(image.clone(), size);
                        surface.pop();
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    pdf.finish().map_err(|error| PdfError::Render(error.to_string()))
}

fn grey(level: u8) -> rgb::Color {
    rgb::Color::new(level, level, level)
}

fn fill(level: u8) -> Fill {
    Fill { paint: grey(level).into(), opacity: NormalizedF32::ONE, rule: FillRule::NonZero }
}

fn stroke(level: u8, width: f32) -> Stroke {
    Stroke { paint: grey(level).into(), width, line_join: LineJoin::Round, ..Stroke::default() }
}

fn draw_path(surface: &mut Surface<'_>, path: PathBuilder, fill_grey: Option<u8>, border_grey: Option<u8>) {
    let Some(path) = path.finish() else { return };
    surface.set_fill(fill_grey.map(fill));
    surface.set_stroke(border_grey.map(|level| stroke(level, LINE_WIDTH)));
    surface.draw_path(&path);
}

/// A line of text: each character's glyph from the font's character map, advanced by its width.
/// Characters drawn as nothing (controls, tabs, invisible marks) only move the next glyph.
fn draw_text(surface: &mut Surface<'_>, fonts: &Fonts, metrics: &Metrics<'_>, start: Point, size: f32, text: &str, bold: bool, level: u8) {
    let mut glyphs: Vec<KrillaGlyph> = Vec::with_capacity(text.len());
    let mut x = start.x;
    for (at, c) in text.char_indices() {
        let (glyph, advance) = metrics.glyph(c);
        match (glyph, glyphs.last_mut()) {
            // krilla maps each glyph back to `text[at..]` for copying and searching.
            (Some(glyph), _) => glyphs.push(KrillaGlyph::new(GlyphId::new(glyph), advance, 0.0, 0.0, 0.0, at..at + c.len_utf8(), None)),
            (None, Some(last)) => last.x_advance += advance,
            (None, None) => x += advance * size,
        }
    }
    if glyphs.is_empty() {
        return;
    }
    surface.set_fill(Some(fill(level)));
    surface.set_stroke(bold.then(|| stroke(level, size * BOLD_STROKE)));
    surface.draw_glyphs(Point::from_xy(x, start.y), &glyphs, fonts.krilla_font().clone(), text, size, false);
}
