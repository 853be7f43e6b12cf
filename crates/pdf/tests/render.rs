//! Rendering whole documents and reading them back: the text a reader extracts, pages, images,
//! metadata; and documents built to break the renderer, which must still render.
#![allow(clippy::unwrap_used)]

mod fixtures;

use fixtures::*;
use pdf::{Block, Document, Fonts, PdfError, render};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A document with every kind of block: Chinese and English, a table of 60 rows, a JPEG and a PNG.
fn every_block() -> Document {
    let rows = (1..=60)
        .map(|n| {
            strings(&[
                &n.to_string(),
                &format!("第{n}项：检查消防通道是否畅通，安全出口标志是否完好。Check fire lane {n} is clear."),
                if n % 7 == 0 { "重大" } else { "一般" },
                if n % 5 == 0 { "不符合" } else { "符合" },
                if n % 5 == 0 { "通道被货物占用，已要求立即清理。" } else { "" },
            ])
        })
        .collect();
    Document {
        title: "安全生产检查记录 · Inspection record".to_owned(),
        language: "zh-CN".to_owned(),
        footer: "示范市应急管理局 · Demo City Emergency Management Bureau".to_owned(),
        page_of: "第 {page} 页 / 共 {pages} 页".to_owned(),
        blocks: vec![
            Block::Title("安全生产检查记录".to_owned()),
            Block::Paragraph(
                "本次检查依据《中华人民共和国安全生产法》开展。Inspection carried out under the Work Safety Law.\n\
                 第二行：English words wrap between words, 中文在字与字之间换行，标点不在行首。"
                    .to_owned(),
            ),
            Block::Heading("基本信息 Basic information".to_owned()),
            Block::Fields(vec![
                ("被检查单位".to_owned(), "示范化工有限公司".to_owned()),
                ("Checked by".to_owned(), "张三 Zhang San".to_owned()),
                ("情况说明".to_owned(), "现场共检查六十项，其中十二项不符合要求，均已当场告知企业负责人并要求限期整改。".repeat(3)),
            ]),
            Block::Heading("检查项目 Items".to_owned()),
            Block::Table { widths: vec![0.7, 4.0, 0.8, 0.9, 2.4], header: strings(&["序号", "检查内容", "后果", "结论", "情况说明"]), rows },
            Block::Image { bytes: tiny_jpeg(), caption: "现场照片（JPEG）".to_owned(), max_height_pt: 120.0 },
            Block::Images(vec![
                (png(40, 30), "PNG 缩略图".to_owned()),
                (tiny_jpeg(), "JPEG thumbnail".to_owned()),
                (png(30, 40), "竖图".to_owned()),
                (png(64, 16), "第二行的缩略图".to_owned()),
            ]),
            Block::Spacer(12.0),
            Block::Paragraph("End of record.".to_owned()),
        ],
    }
}

/// A PDF text string (PDFDocEncoding for ASCII, or UTF-16BE with a byte-order mark).
fn text_string(object: &lopdf::Object) -> String {
    let bytes = object.as_str().unwrap();
    match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => String::from_utf16(&utf16.chunks(2).map(|pair| u16::from_be_bytes([pair[0], pair[1]])).collect::<Vec<_>>()).unwrap(),
        None => String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

#[test]
fn every_block_kind_renders_and_reads_back() {
    let Some(fonts) = fonts_or_skip("every_block_kind_renders_and_reads_back") else { return };
    let pdf = render(&every_block(), &fonts).unwrap();
    let document = load(&pdf);
    let pages = document.get_pages().len() as u32;
    assert!(pages > 1, "the 60-row table should span pages, got {pages} page(s)");

    let first = page_text(&document, 1);
    for phrase in ["安全生产检查记录", "Inspection", "示范化工有限公司", "Zhang San", &format!("第 1 页 / 共 {pages} 页")] {
        assert!(first.contains(phrase), "page 1 lacks {phrase:?}: {first}");
    }
    // The check can fail: a phrase that was never written is not found.
    for absent in ["未写入的短语", "Nonexistent"] {
        assert!(!first.contains(absent), "page 1 has {absent:?}, which was never written");
    }
    // Every page has its footer; the table's header starts every page it continues on.
    let texts: Vec<String> = (1..=pages).map(|n| page_text(&document, n)).collect();
    for (n, text) in texts.iter().enumerate() {
        assert!(text.contains(&format!("第 {} 页 / 共 {pages} 页", n + 1)), "page {} lacks its number", n + 1);
    }
    let with_rows: Vec<usize> = (0..texts.len()).filter(|n| texts[*n].contains("检查消防通道")).collect();
    assert!(with_rows.len() > 1, "the table should continue on another page");
    for n in &with_rows {
        assert!(texts[*n].contains("检查内容"), "page {} continues the table without its header", n + 1);
    }
    assert!(texts.iter().any(|text| text.contains("End of record.")));

    // The JPEG is embedded as it is (once, though shown twice), the PNG as pixels.
    let (jpegs, others) = image_objects(&document);
    assert_eq!(jpegs, 1);
    assert!(others >= 3, "three PNGs, got {others}");

    // The text maps back to Unicode: 安 (U+5B89) is in a ToUnicode map.
    let maps_an = document.objects.values().filter_map(|object| object.as_stream().ok()).any(|stream| {
        let content = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
        let content = String::from_utf8_lossy(&content);
        content.contains("beginbf") && content.contains("5B89")
    });
    assert!(maps_an, "no ToUnicode map has 安");

    // Metadata.
    let catalog = document.catalog().unwrap();
    assert_eq!(text_string(catalog.get(b"Lang").unwrap()), "zh-CN");
    let info = document.get_dictionary(document.trailer.get(b"Info").unwrap().as_reference().unwrap()).unwrap();
    assert_eq!(text_string(info.get(b"Title").unwrap()), "安全生产检查记录 · Inspection record");
    assert_eq!(text_string(info.get(b"Creator").unwrap()), "anwei");
}

#[test]
fn english_documents_render_too() {
    let Some(fonts) = fonts_or_skip("english_documents_render_too") else { return };
    let document = Document {
        title: "Work-safety check record".to_owned(),
        language: "en".to_owned(),
        footer: "Demo City".to_owned(),
        page_of: "Page {page} of {pages}".to_owned(),
        blocks: vec![
            Block::Title("Work-safety check record".to_owned()),
            Block::Paragraph("The enterprise's representative refused to sign; noted by the inspector.".to_owned()),
            Block::Image { bytes: b"not an image".to_vec(), caption: "Signature".to_owned(), max_height_pt: 90.0 },
        ],
    };
    let text = page_text(&load(&render(&document, &fonts).unwrap()), 1);
    for phrase in ["Work-safety check record", "refused to sign", "Page 1 of 1", "image not shown", "Signature"] {
        assert!(text.contains(phrase), "{phrase:?} missing from {text}");
    }
}

#[test]
fn rendering_is_deterministic() {
    let Some(fonts) = fonts_or_skip("rendering_is_deterministic") else { return };
    let document = every_block();
    assert_eq!(render(&document, &fonts).unwrap(), render(&document, &fonts).unwrap());
}

/// Documents made to break the renderer. Each must render to a readable PDF, with the given
/// number of images drawn (the others replaced by placeholders).
#[test]
fn hostile_documents_still_render() {
    let Some(fonts) = fonts_or_skip("hostile_documents_still_render") else { return };
    let image = |bytes: Vec<u8>, max_height_pt: f32| Block::Image { bytes, caption: "照片 photo".to_owned(), max_height_pt };
    let table = |widths: Vec<f32>, header: &[&str], rows: Vec<Vec<String>>| Block::Table { widths, header: strings(header), rows };
    let long_cjk = "安全生产".repeat(50_000);
    let long_ascii = "a".repeat(200_000);
    let cases: Vec<(&str, Vec<Block>, usize)> = vec![
        ("empty document", vec![], 0),
        (
            "empty strings everywhere",
            vec![
                Block::Title(String::new()),
                Block::Heading(String::new()),
                Block::Paragraph(String::new()),
                Block::Fields(vec![(String::new(), String::new())]),
            ],
            0,
        ),
        ("a PNG claiming 100000×100000", vec![image(png_header_claiming(100_000, 100_000), 200.0)], 0),
        ("a PNG claiming 8001×10", vec![image(png_header_claiming(8001, 10), 200.0)], 0),
        ("a PNG claiming 2500×2000 (over 4 million pixels)", vec![image(png_header_claiming(2500, 2000), 200.0)], 0),
        ("a PNG claiming 0×0", vec![image(png_header_claiming(0, 0), 200.0)], 0),
        ("a PNG with corrupt pixel data", vec![image(corrupt_png(), 200.0)], 0),
        ("random bytes", vec![image(noise(4096), 200.0)], 0),
        ("no bytes", vec![image(Vec::new(), 200.0)], 0),
        ("a JPEG cut inside its headers", vec![image(tiny_jpeg()[..40].to_vec(), 200.0)], 0),
        // Cut inside the compressed data: its headers are whole, it is embedded as it is and the
        // reader shows what it can.
        ("a JPEG cut inside its data", vec![image(tiny_jpeg()[..tiny_jpeg().len() - 4].to_vec(), 200.0)], 1),
        ("a JPEG claiming 30000 wide", vec![image(jpeg_claiming(30_000, 16), 200.0)], 0),
        ("a JPEG claiming 0 high", vec![image(jpeg_claiming(16, 0), 200.0)], 0),
        (
            "a good PNG among bad ones",
            vec![Block::Images(vec![(noise(100), "坏".to_owned()), (png(20, 20), "好".to_owned()), (corrupt_png(), "坏".to_owned())])],
            1,
        ),
        ("max height NaN", vec![image(tiny_jpeg(), f32::NAN)], 1),
        ("max height infinite", vec![image(tiny_jpeg(), f32::INFINITY)], 1),
        ("max height negative", vec![image(png(10, 10), -10.0)], 1),
        ("max height zero", vec![image(png(10, 10), 0.0)], 1),
        ("an extreme aspect", vec![image(png(4000, 1), 100.0), image(png(1, 4000), 100.0)], 2),
        ("no thumbnails", vec![Block::Images(Vec::new())], 0),
        ("200,000 characters of Chinese without a space", vec![Block::Paragraph(long_cjk.clone())], 0),
        ("200,000 letters without a space", vec![Block::Paragraph(long_ascii.clone())], 0),
        ("a title of 200,000 letters", vec![Block::Title(long_ascii.clone())], 0),
        ("a table cell taller than a page", vec![table(vec![1.0, 3.0], &["a", "b"], vec![vec!["短".to_owned(), "安全生产".repeat(2_000)]])], 0),
        ("a header taller than a page", vec![table(vec![1.0], &[&"表头".repeat(5_000)], vec![strings(&["x"]); 3])], 0),
        (
            "rows with more and fewer cells than widths",
            vec![table(vec![1.0, 2.0, 3.0], &["一", "二"], vec![strings(&["1"]), strings(&["1", "2", "3", "4", "5"]), vec![]])],
            0,
        ),
        ("zero widths", vec![table(vec![0.0, 0.0, 0.0], &["a", "b", "c"], vec![strings(&["1", "2", "3"])])], 0),
        ("negative and NaN widths", vec![table(vec![-1.0, f32::NAN, f32::INFINITY, f32::MAX], &["a"], vec![strings(&["1", "2", "3", "4"])])], 0),
        ("no widths, no header", vec![table(vec![], &[], vec![strings(&["只有数据", "没有列宽"])])], 0),
        ("an empty table", vec![table(vec![], &[], vec![])], 0),
        ("a table of 300 columns", vec![table(vec![], &[], vec![(0..300).map(|n| format!("单元格{n}")).collect()])], 0),
        (
            "spacers of every size",
            vec![
                Block::Spacer(f32::NAN),
                Block::Spacer(-5.0),
                Block::Spacer(f32::INFINITY),
                Block::Spacer(1e30),
                Block::Spacer(0.0),
                Block::KeepSpace(f32::NAN),
                Block::KeepSpace(f32::INFINITY),
                Block::KeepSpace(-1.0),
                Block::Paragraph("after".to_owned()),
            ],
            0,
        ),
        (
            "characters the font lacks and controls",
            vec![Block::Paragraph("控制\u{0}\u{1b}[31m字符\t制表\r\n表情🔥😀 عربى עברית \u{200B}\u{FEFF}\u{0301}e\u{0301} \u{10FFFF}\u{E000}".to_owned())],
            0,
        ),
        ("only line ends", vec![Block::Paragraph("\n\n\n".to_owned()), Block::Heading("\n".to_owned())], 0),
        ("many headings", (0..500).map(|n| Block::Heading(format!("第{n}节"))).collect(), 0),
    ];
    for (name, blocks, images) in cases {
        let document = Document {
            title: name.to_owned(),
            language: "zh-CN".to_owned(),
            footer: "页脚".repeat(1_000),
            page_of: "第 {page} 页 / 共 {pages} 页".to_owned(),
            blocks,
        };
        let pdf = render(&document, &fonts).unwrap_or_else(|error| panic!("{name}: {error}"));
        let loaded = load(&pdf);
        assert!(!loaded.get_pages().is_empty(), "{name}: no pages");
        let (jpegs, others) = image_objects(&loaded);
        assert_eq!(jpegs + others, images, "{name}: images drawn");
    }
}

#[test]
fn odd_metadata_renders() {
    let Some(fonts) = fonts_or_skip("odd_metadata_renders") else { return };
    for (title, language, footer, page_of) in [
        ("", "", "", ""),
        ("\u{0}\u{7}", "not a language", "\n\n", "{pages}{page}{page}{pages}{"),
        ("标题", "zh-CN", "", "{page}"),
        (&*"长".repeat(10_000), "en", &*"f".repeat(10_000), &*"{page} of {pages} ".repeat(1_000)),
    ] {
        let document = Document {
            title: title.to_owned(),
            language: language.to_owned(),
            footer: footer.to_owned(),
            page_of: page_of.to_owned(),
            blocks: vec![Block::Paragraph("正文".to_owned())],
        };
        load(&render(&document, &fonts).unwrap());
    }
}

#[test]
fn garbage_is_not_a_font() {
    let mut collection_header = b"ttcf\0\x01\0\0\0\0\0\x01\0\0\0\x10".to_vec();
    collection_header.extend(noise(64));
    let mut truetype_header = vec![0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0];
    truetype_header.extend(noise(200));
    for bytes in [Vec::new(), b"garbage".to_vec(), noise(10_000), collection_header, truetype_header, b"OTTO".to_vec()] {
        let result = Fonts::from_bytes(bytes.clone(), 0);
        assert!(matches!(result, Err(PdfError::BadFont { .. })), "{:?} for {} bytes", result.err(), bytes.len());
    }
}

#[test]
fn a_real_font_needs_a_face_that_exists() {
    let Some(fonts) = fonts_or_skip("a_real_font_needs_a_face_that_exists") else { return };
    let bytes = std::fs::read(fonts.source()).unwrap();
    assert!(matches!(Fonts::from_bytes(bytes.clone(), 9_999), Err(PdfError::BadFont { .. })));
    let from_bytes = Fonts::from_bytes(bytes, 0).unwrap();
    assert_eq!(from_bytes.source(), "<bytes>");
    load(&render(&Document { blocks: vec![Block::Paragraph("安全 safety".to_owned())], ..Document::default() }, &from_bytes).unwrap());
}

#[test]
fn configured_fonts_that_cannot_be_used_are_refused_by_name() {
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("missing.ttf");
    let huge = directory.path().join("huge.ttc");
    // Sparse: 65 MiB claimed, nothing written; refused from its size alone.
    std::fs::File::create(&huge).unwrap().set_len(65 * 1024 * 1024).unwrap();
    let garbage = directory.path().join("garbage.otf");
    std::fs::write(&garbage, noise(5000)).unwrap();
    for (path, reason) in [(missing.as_path(), "No such file"), (huge.as_path(), "64 MiB"), (garbage.as_path(), "not a font"), (directory.path(), "not a file")]
    {
        let error = Fonts::discover(Some(path)).unwrap_err();
        assert!(matches!(error, PdfError::BadFont { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains(&path.display().to_string()) && message.contains(reason), "{message}");
    }
}

#[test]
fn a_missing_font_says_what_to_install() {
    let message = PdfError::NoFont { tried: vec!["/a.ttc".to_owned(), "/b.ttf".to_owned()] }.to_string();
    assert!(message.contains("fonts-noto-cjk") && message.contains("/a.ttc, /b.ttf"), "{message}");
}

#[test]
fn the_system_font_is_found() {
    let Some(fonts) = fonts_or_skip("the_system_font_is_found") else { return };
    assert!(fonts.source().starts_with("/usr/share/fonts/"), "{}", fonts.source());
    // Shared across a server's threads.
    fn shareable<T: Send + Sync + 'static>(_: &T) {}
    shareable(&fonts);
    shareable(&every_block());
}
