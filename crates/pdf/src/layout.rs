//! Laying the blocks out on A4 pages: where every line of text, box, rule and image goes, page by
//! page, footers included. Drawing the result with krilla is `draw`'s job.

use std::borrow::Cow;

use crate::fonts::{EM_BOX_ASCENT, Metrics};
use crate::images::Prepared;
use crate::wrap::{Line, wrap};
use crate::{Block, Document};

pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
const MARGIN_X: f32 = 56.0;
const MARGIN_TOP: f32 = 60.0;
const MARGIN_BOTTOM: f32 = 60.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
/// The body: between the margins. Footers go below it, in the bottom margin.
const BODY_TOP: f32 = MARGIN_TOP;
const BODY_BOTTOM: f32 = PAGE_HEIGHT - MARGIN_BOTTOM;
const BODY_HEIGHT: f32 = BODY_BOTTOM - BODY_TOP;

/// Font sizes (pt) and the line height as a multiple of the size.
const TITLE_SIZE: f32 = 18.0;
const HEADING_SIZE: f32 = 13.0;
const BODY_SIZE: f32 = 10.5;
const TABLE_SIZE: f32 = 9.5;
/// Captions, placeholders' notes and footers.
const SMALL_SIZE: f32 = 9.0;
const LEADING: f32 = 1.5;

/// Greys, 0 black to 255 white.
const INK: u8 = 0;
const CAPTION_INK: u8 = 90;
const BORDER: u8 = 150;
const HEADER_FILL: u8 = 225;
const LABEL_FILL: u8 = 243;
const PLACEHOLDER_FILL: u8 = 246;

/// Table and field cells: padding around the text.
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.0;
/// A field's label column, as a share of the width.
const LABEL_SHARE: f32 = 0.28;
/// Thumbnail grids: columns, the gap between them, the thumbnails' height and their captions' lines.
const GRID_COLUMNS: usize = 3;
const GRID_GAP: f32 = 12.0;
const THUMB_HEIGHT_MAX: f32 = 150.0;
const GRID_CAPTION_LINES: usize = 3;
/// A placeholder is at most this large.
const PLACEHOLDER_WIDTH_MAX: f32 = 200.0;
const PLACEHOLDER_HEIGHT_MAX: f32 = 120.0;

/// Slack for comparing positions summed from many floats.
const EPSILON: f32 = 0.01;

/// One thing drawn on a page; positions are in points from the page's top left corner.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op<'a> {
    /// A line of text; `y` is its baseline. Bold is faked by outlining the glyphs too.
    Text { x: f32, y: f32, size: f32, text: Cow<'a, str>, bold: bool, grey: u8 },
    /// A rectangle, filled and/or bordered (0.5 pt).
    Rect { x: f32, y: f32, width: f32, height: f32, fill: Option<u8>, border: Option<u8> },
    /// A horizontal rule (0.5 pt).
    Rule { x1: f32, x2: f32, y: f32, grey: u8 },
    /// The prepared image `index` (never a placeholder: those are drawn as a box and a note).
    Image { index: usize, x: f32, y: f32, width: f32, height: f32 },
}

/// What one page shows.
pub(crate) type Page<'a> = Vec<Op<'a>>;

/// Lays `document` out. `images` are the document's images in the order of its blocks (an
/// `Images` block's in their order). Always at least one page.
pub(crate) fn lay_out<'a>(document: &'a Document, metrics: &Metrics<'_>, images: &[Prepared]) -> Vec<Page<'a>> {
    let chinese = document.language.trim().to_ascii_lowercase().starts_with("zh");
    let mut layout = Layout {
        metrics,
        images,
        next_image: 0,
        placeholder_note: if chinese { "图片无法显示" } else { "image not shown" },
        pages: vec![Vec::new()],
        y: BODY_TOP,
    };
    for block in &document.blocks {
        layout.block(block);
    }
    layout.footers(&document.footer, &document.page_of);
    layout.pages
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Centre,
}

/// The look of a grid's cells.
#[derive(Clone, Copy)]
enum CellStyle {
    /// A table's header row: shaded, bold.
    Header,
    /// A table's body row.
    Body,
    /// A field: the label (first) column shaded.
    Field,
}

impl CellStyle {
    fn fill(self, column: usize) -> Option<u8> {
        match self {
            CellStyle::Header => Some(HEADER_FILL),
            CellStyle::Field if column == 0 => Some(LABEL_FILL),
            _ => None,
        }
    }
}

/// A row of a grid: each cell's text broken into lines, and the row's height in lines.
struct Row<'a> {
    cells: Vec<(&'a str, Vec<Line>)>,
    lines: usize,
}

struct Layout<'a, 'm, 'f> {
    metrics: &'m Metrics<'f>,
    images: &'m [Prepared],
    /// The index of the next image block's (or thumbnail's) prepared image.
    next_image: usize,
    placeholder_note: &'static str,
    pages: Vec<Page<'a>>,
    /// The top of the free space on the last page.
    y: f32,
}

impl<'a> Layout<'a, '_, '_> {
    fn block(&mut self, block: &'a Block) {
        match block {
            Block::Title(text) => {
                self.flow(text, TITLE_SIZE, true, Align::Centre);
                self.y += 10.0;
            }
            Block::Heading(text) => {
                if !self.at_top() {
                    self.y += 8.0;
                }
                // Not alone at the bottom of a page: with room below it for three lines of text
                // (or a table's header and first row).
                self.need(line_height(HEADING_SIZE) + 3.0 * line_height(BODY_SIZE));
                self.flow(text, HEADING_SIZE, true, Align::Left);
                self.y += 3.0;
            }
            Block::Paragraph(text) => {
                self.flow(text, BODY_SIZE, false, Align::Left);
                self.y += 5.0;
            }
            Block::Fields(pairs) => self.fields(pairs),
            Block::Table { widths, header, rows } => self.table(widths, header, rows),
            Block::Image { caption, max_height_pt, .. } => {
                let index = self.take_image();
                self.image(index, caption, *max_height_pt);
            }
            Block::Images(items) => self.thumbnails(items),
            Block::Spacer(height) => self.spacer(*height),
            Block::KeepSpace(height) => self.keep_space(*height),
        }
    }

    fn push(&mut self, op: Op<'a>) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = BODY_TOP;
    }

    fn at_top(&self) -> bool {
        self.y <= BODY_TOP + EPSILON
    }

    fn room(&self) -> f32 {
        BODY_BOTTOM - self.y
    }

    /// Starts a new page unless `height` fits on this one (or nothing is on it yet: what does not
    /// fit on an empty page must be split by the caller).
    fn need(&mut self, height: f32) {
        if height > self.room() + EPSILON && !self.at_top() {
            self.new_page();
        }
    }

    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<Line> {
        wrap(text, width, |c| self.metrics.advance(c) * size)
    }

    /// A line of text whose line box starts at `top`.
    fn text(&mut self, x: f32, top: f32, size: f32, text: Cow<'a, str>, bold: bool, grey: u8) {
        // The em box centred in the line box.
        let y = top + (line_height(size) - size) / 2.0 + EM_BOX_ASCENT * size;
        self.push(Op::Text { x, y, size, text, bold, grey });
    }

    /// Text across the full width, line by line, onto new pages as needed.
    fn flow(&mut self, text: &'a str, size: f32, bold: bool, align: Align) {
        for line in self.wrap(text, size, CONTENT_WIDTH) {
            self.need(line_height(size));
            let x = match align {
                Align::Left => MARGIN_X,
                Align::Centre => MARGIN_X + (CONTENT_WIDTH - line.width).max(0.0) / 2.0,
            };
            self.text(x, self.y, size, Cow::Borrowed(&text[line.range]), bold, INK);
            self.y += line_height(size);
        }
    }

    fn spacer(&mut self, height: f32) {
        // Any height that does not fit (infinity included) ends the page.
        let height = if height.is_nan() { 0.0 } else { height.max(0.0) };
        if height < self.room() {
            self.y += height;
        } else if !self.at_top() {
            self.new_page();
        }
    }

    fn keep_space(&mut self, height: f32) {
        if height > self.room() && !self.at_top() {
            self.new_page();
        }
    }

    fn fields(&mut self, pairs: &'a [(String, String)]) {
        let columns = [CONTENT_WIDTH * LABEL_SHARE, CONTENT_WIDTH * (1.0 - LABEL_SHARE)];
        let rows: Vec<Row<'a>> = pairs.iter().map(|(label, value)| self.row([label.as_str(), value.as_str()].into_iter(), &columns, BODY_SIZE)).collect();
        self.grid(&columns, None, rows, BODY_SIZE, CellStyle::Field);
        self.y += 6.0;
    }

    fn table(&mut self, widths: &[f32], header: &'a [String], rows: &'a [Vec<String>]) {
        // As many columns as the widest of widths, header and rows: no cell is dropped.
        let count = rows.iter().map(Vec::len).fold(widths.len().max(header.len()), usize::max);
        if count == 0 {
            return;
        }
        let columns = column_widths(widths, count);
        let header = (!header.is_empty()).then(|| self.row(header.iter().map(String::as_str), &columns, TABLE_SIZE));
        let rows: Vec<Row<'a>> = rows.iter().map(|row| self.row(row.iter().map(String::as_str), &columns, TABLE_SIZE)).collect();
        self.grid(&columns, header, rows, TABLE_SIZE, CellStyle::Body);
        self.y += 8.0;
    }

    /// A row's cells (missing ones empty) broken into lines within their columns.
    fn row(&self, texts: impl Iterator<Item = &'a str>, columns: &[f32], size: f32) -> Row<'a> {
        let mut texts = texts;
        let cells: Vec<(&'a str, Vec<Line>)> = columns
            .iter()
            .map(|width| {
                let text = texts.next().unwrap_or("");
                (text, self.wrap(text, size, width - 2.0 * cell_pad_x(*width)))
            })
            .collect();
        let lines = cells.iter().map(|(_, lines)| lines.len()).max().unwrap_or(0).max(1);
        Row { cells, lines }
    }

    /// Bordered rows. A row moves to the next page whole unless it is taller than a page, when it
    /// is split between lines. The header starts every page of the grid, unless it is taller than
    /// a third of a page (then it is shown once, like a row).
    fn grid(&mut self, columns: &[f32], header: Option<Row<'a>>, rows: Vec<Row<'a>>, size: f32, style: CellStyle) {
        let lh = line_height(size);
        let row_height = |lines: usize| lines as f32 * lh + 2.0 * CELL_PAD_Y;
        let (repeated, header_once) = match header {
            Some(header) if row_height(header.lines) <= BODY_HEIGHT / 3.0 => (Some(header), None),
            header => (None, header),
        };
        let repeated_height = repeated.as_ref().map_or(0.0, |header| row_height(header.lines));
        if let Some(header) = &repeated {
            // The header with (the first line of) the first row.
            let first = rows.first().map_or(0.0, |_| row_height(1));
            self.need(repeated_height + first);
            self.cells(header, 0, header.lines, columns, size, CellStyle::Header);
        }
        let page_break = |layout: &mut Self| {
            layout.new_page();
            if let Some(header) = &repeated {
                layout.cells(header, 0, header.lines, columns, size, CellStyle::Header);
            }
        };
        let styled = header_once.iter().map(|row| (row, CellStyle::Header)).chain(rows.iter().map(|row| (row, style)));
        for (row, style) in styled {
            let height = row_height(row.lines);
            // A row that fits on a page is not split: it moves to the next page if need be.
            if height > self.room() + EPSILON && height <= BODY_HEIGHT - repeated_height && !self.at_top() {
                page_break(self);
            }
            let mut first = 0;
            let mut fresh = false;
            while first < row.lines {
                let fit = ((self.room() - 2.0 * CELL_PAD_Y) / lh + EPSILON).floor().max(0.0) as usize;
                let mut count = fit.min(row.lines - first);
                if count == 0 {
                    if !fresh {
                        page_break(self);
                        fresh = true;
                        continue;
                    }
                    // Not even one line fits on a new page (it cannot happen at these sizes):
                    // overflow rather than loop.
                    count = 1;
                }
                self.cells(row, first, count, columns, size, style);
                first += count;
                fresh = false;
            }
        }
    }

    /// Lines `first..first + count` of a row's cells, in bordered boxes.
    fn cells(&mut self, row: &Row<'a>, first: usize, count: usize, columns: &[f32], size: f32, style: CellStyle) {
        let height = count as f32 * line_height(size) + 2.0 * CELL_PAD_Y;
        let top = self.y;
        let mut x = MARGIN_X;
        for (column, ((text, lines), width)) in row.cells.iter().zip(columns).enumerate() {
            let text: &'a str = text;
            self.push(Op::Rect { x, y: top, width: *width, height, fill: style.fill(column), border: Some(BORDER) });
            for (n, line) in lines.iter().skip(first).take(count).enumerate() {
                let line_top = top + CELL_PAD_Y + n as f32 * line_height(size);
                self.text(x + cell_pad_x(*width), line_top, size, Cow::Borrowed(&text[line.range.clone()]), matches!(style, CellStyle::Header), INK);
            }
            x += width;
        }
        self.y = top + height;
    }

    fn take_image(&mut self) -> usize {
        self.next_image += 1;
        self.next_image - 1
    }

    /// The size image `index` is drawn at within `max_width` × `max_height`, keeping its aspect
    /// (a placeholder's size if it is not shown).
    fn fit(&self, index: usize, max_width: f32, max_height: f32) -> (f32, f32) {
        match self.images.get(index) {
            Some(Prepared::Image { width, height, .. }) => {
                let (width, height) = (*width as f32, *height as f32);
                let scale = (max_width / width).min(max_height / height);
                (width * scale, height * scale)
            }
            _ => (max_width.min(PLACEHOLDER_WIDTH_MAX), max_height.min(PLACEHOLDER_HEIGHT_MAX)),
        }
    }

    /// Image `index` at the given place, or its placeholder: a thin box with a note.
    fn picture(&mut self, index: usize, x: f32, y: f32, width: f32, height: f32) {
        if self.images.get(index).is_some_and(Prepared::is_image) {
            self.push(Op::Image { index, x, y, width, height });
            return;
        }
        self.push(Op::Rect { x, y, width, height, fill: Some(PLACEHOLDER_FILL), border: Some(BORDER) });
        let note = self.placeholder_note;
        let note_width = self.metrics.width(note, SMALL_SIZE);
        let top = y + (height - line_height(SMALL_SIZE)) / 2.0;
        self.text(x + (width - note_width) / 2.0, top, SMALL_SIZE, Cow::Borrowed(note), false, CAPTION_INK);
    }

    /// An image across the width (centred), at most `max_height` high, with its caption below.
    fn image(&mut self, index: usize, caption: &'a str, max_height: f32) {
        let caption_lines = if caption.is_empty() { Vec::new() } else { self.wrap(caption, SMALL_SIZE, CONTENT_WIDTH) };
        let clh = line_height(SMALL_SIZE);
        // The image and (up to three lines of) its caption stay on one page.
        let kept_caption = caption_lines.len().min(3) as f32 * clh;
        let page_limit = (BODY_HEIGHT - kept_caption - 4.0).max(clh);
        let max_height = if max_height.is_finite() && max_height > 0.0 { max_height.min(page_limit) } else { page_limit };
        let (width, height) = self.fit(index, CONTENT_WIDTH, max_height);
        self.need(height + 4.0 + kept_caption);
        self.picture(index, MARGIN_X + (CONTENT_WIDTH - width) / 2.0, self.y, width, height);
        self.y += height + 4.0;
        for line in caption_lines {
            self.need(clh);
            let x = MARGIN_X + (CONTENT_WIDTH - line.width).max(0.0) / 2.0;
            self.text(x, self.y, SMALL_SIZE, Cow::Borrowed(&caption[line.range]), false, CAPTION_INK);
            self.y += clh;
        }
        self.y += 8.0;
    }

    /// Thumbnails in rows of three, each with its caption (at most three lines) below it.
    fn thumbnails(&mut self, items: &'a [(Vec<u8>, String)]) {
        let cell = (CONTENT_WIDTH - GRID_GAP * (GRID_COLUMNS - 1) as f32) / GRID_COLUMNS as f32;
        let clh = line_height(SMALL_SIZE);
        for chunk in items.chunks(GRID_COLUMNS) {
            let mut thumbs = Vec::with_capacity(chunk.len());
            for (_, caption) in chunk {
                let index = self.take_image();
                let (width, height) = self.fit(index, cell, THUMB_HEIGHT_MAX);
                thumbs.push((index, width, height, clipped(self.metrics, caption, SMALL_SIZE, cell, GRID_CAPTION_LINES)));
            }
            let image_height = thumbs.iter().map(|t| t.2).fold(0.0, f32::max);
            let caption_lines = thumbs.iter().map(|t| t.3.iter().filter(|(line, _)| !line.is_empty()).count()).max().unwrap_or(0);
            let caption_height = if caption_lines == 0 { 0.0 } else { 4.0 + caption_lines as f32 * clh };
            self.need(image_height + caption_height);
            let top = self.y;
            for (column, (index, width, height, caption)) in thumbs.into_iter().enumerate() {
                let cell_x = MARGIN_X + column as f32 * (cell + GRID_GAP);
                // Bottom-aligned, so each caption sits right under its image.
                self.picture(index, cell_x + (cell - width) / 2.0, top + image_height - height, width, height);
                for (n, (line, line_width)) in caption.into_iter().enumerate().filter(|(_, (line, _))| !line.is_empty()) {
                    let x = cell_x + (cell - line_width).max(0.0) / 2.0;
                    self.text(x, top + image_height + 4.0 + n as f32 * clh, SMALL_SIZE, line, false, CAPTION_INK);
                }
            }
            self.y = top + image_height + caption_height + 10.0;
        }
    }

    /// Every page's footer: a rule, the document's footer on the left, "page N of M" on the right.
    fn footers(&mut self, footer: &'a str, page_of: &str) {
        if footer.is_empty() && page_of.is_empty() {
            return;
        }
        let pages = self.pages.len();
        let rule_y = BODY_BOTTOM + 14.0;
        let top = rule_y + 4.0;
        for number in 1..=pages {
            let label = page_of.replace("{pages}", &pages.to_string()).replace("{page}", &number.to_string());
            let label_width = self.metrics.width(&label, SMALL_SIZE);
            let mut ops = vec![Op::Rule { x1: MARGIN_X, x2: MARGIN_X + CONTENT_WIDTH, y: rule_y, grey: BORDER }];
            // The page number wins the room; a long footer is cut to one line.
            let (label, label_width) = if label_width <= CONTENT_WIDTH / 2.0 {
                (Cow::Owned(label), label_width)
            } else {
                let (line, width) = clipped(self.metrics, &label, SMALL_SIZE, CONTENT_WIDTH / 2.0, 1).into_iter().next().unwrap_or_default();
                (Cow::Owned(line.into_owned()), width)
            };
            let left_room = CONTENT_WIDTH - label_width - 16.0;
            if let Some((text, _)) = clipped(self.metrics, footer, SMALL_SIZE, left_room, 1).into_iter().next() {
                ops.push(self.small_text(MARGIN_X, top, text));
            }
            ops.push(self.small_text(MARGIN_X + CONTENT_WIDTH - label_width, top, label));
            if let Some(page) = self.pages.get_mut(number - 1) {
                page.extend(ops);
            }
        }
    }

    fn small_text(&self, x: f32, top: f32, text: Cow<'a, str>) -> Op<'a> {
        let y = top + (line_height(SMALL_SIZE) - SMALL_SIZE) / 2.0 + EM_BOX_ASCENT * SMALL_SIZE;
        Op::Text { x, y, size: SMALL_SIZE, text, bold: false, grey: CAPTION_INK }
    }
}

/// `text` in at most `max_lines` lines of `width`, the last one ending in "…" if some was cut;
/// each line with its width.
fn clipped<'t>(metrics: &Metrics<'_>, text: &'t str, size: f32, width: f32, max_lines: usize) -> Vec<(Cow<'t, str>, f32)> {
    let lines = wrap(text, width, |c| metrics.advance(c) * size);
    let cut = lines.len() > max_lines;
    let mut kept: Vec<(Cow<'t, str>, f32)> = lines.into_iter().take(max_lines).map(|line| (Cow::Borrowed(&text[line.range]), line.width)).collect();
    if cut && let Some((last, last_width)) = kept.last_mut() {
        let ellipsis = metrics.advance('…') * size;
        let mut shortened = last.to_string();
        while *last_width + ellipsis > width {
            let Some(c) = shortened.pop() else { break };
            *last_width -= metrics.advance(c) * size;
        }
        shortened.push('…');
        *last = Cow::Owned(shortened);
        *last_width = (*last_width + ellipsis).max(0.0);
    }
    kept
}

fn line_height(size: f32) -> f32 {
    size * LEADING
}

/// A cell's horizontal padding: less in very narrow columns.
fn cell_pad_x(width: f32) -> f32 {
    CELL_PAD_X.min(width.max(0.0) / 4.0)
}

/// `count` column widths across the content width, in proportion to `weights`; a missing, zero,
/// negative or non-finite weight counts as the average of the others (all equal if none is usable).
fn column_widths(weights: &[f32], count: usize) -> Vec<f32> {
    let usable = |weight: &f32| weight.is_finite() && *weight > 0.0;
    let valid: Vec<f32> = weights.iter().copied().filter(usable).collect();
    // Scaled by the largest first, so that huge weights cannot overflow the sums.
    let largest = valid.iter().copied().fold(0.0, f32::max);
    let valid: Vec<f32> = valid.iter().map(|weight| weight / largest).collect();
    let fallback = if valid.is_empty() { 1.0 } else { valid.iter().sum::<f32>() / valid.len() as f32 };
    let scaled: Vec<f32> = (0..count)
        .map(|column| weights.get(column).filter(|weight| usable(weight)).map_or(fallback, |weight| weight / largest))
        .map(|weight| weight.max(f32::MIN_POSITIVE))
        .collect();
    let total: f32 = scaled.iter().sum();
    scaled.iter().map(|weight| CONTENT_WIDTH * weight / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_widths_fill_the_width_whatever_the_weights() {
        let cases: [(&[f32], usize, &[f32]); 7] = [
            (&[1.0, 3.0], 2, &[0.25, 0.75]),
            (&[], 4, &[0.25, 0.25, 0.25, 0.25]),
            (&[0.0, 0.0], 2, &[0.5, 0.5]),
            (&[-1.0, f32::NAN, f32::INFINITY], 3, &[1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]),
            // A missing or unusable weight is the average of the others.
            (&[1.0, 3.0], 3, &[1.0 / 6.0, 0.5, 1.0 / 3.0]),
            (&[2.0, -5.0], 2, &[0.5, 0.5]),
            (&[f32::MAX, f32::MAX], 2, &[0.5, 0.5]),
        ];
        for (weights, count, shares) in cases {
            let widths = column_widths(weights, count);
            assert_eq!(widths.len(), count);
            for (width, share) in widths.iter().zip(shares) {
                assert!((width - CONTENT_WIDTH * share).abs() < 0.01, "{weights:?} → {widths:?}");
            }
        }
    }
}
