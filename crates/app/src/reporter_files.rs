//! Files people upload where no metadata may travel with them (a reporter's): photos (JPEG, PNG)
//! and Office documents (Word, Excel, PowerPoint), each recognised by its bytes and rewritten
//! without what tells who made it, where and when. Compiled into the fuzz target `tip_file` from
//! this file, so it depends on nothing else of `app`.
//!
//! Every parser offered to reporters is bounded before it allocates: the input is capped by the
//! caller, and an Office file unpacks to at most [`OFFICE_UNPACKED_BYTES_MAX`] in at most
//! [`OFFICE_ENTRIES_MAX`] parts. PDFs are stripped by [`stripped_pdf`] (streams inflate to at most
//! [`PDF_STREAM_BYTES_MAX`], at most [`PDF_OBJECT_BYTES_MAX`] of objects are kept), which is not
//! offered to reporters yet: the PDF reader's own caches escape these bounds, so it waits for a
//! worker process with limits of its own.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{Read, Write};

/// Most bytes one PDF stream (an object or cross-reference stream) may inflate to.
pub const PDF_STREAM_BYTES_MAX: usize = 1 << 20;
/// Most bytes of objects a PDF may hold once read (its strings, names and streams together).
pub const PDF_OBJECT_BYTES_MAX: usize = 64 << 20;
/// Most bytes an Office file may unpack to, and most parts it may have.
pub const OFFICE_UNPACKED_BYTES_MAX: u64 = 64 << 20;
pub const OFFICE_ENTRIES_MAX: usize = 2_000;

/// Why a file was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRefusal {
    /// Neither a photo (JPEG, PNG), a PDF nor an Office document (.docx, .xlsx, .pptx), by its bytes.
    Unsupported,
    /// Of an accepted type but does not read as one (damaged, or beyond the bounds above).
    Damaged,
    /// Protected by a password: its contents cannot be checked.
    Encrypted,
    /// A PDF: not taken yet (see [`stripped_file`]).
    PdfNotYet,
    /// An Office file with macros, embedded objects or controls.
    Embedded,
}

/// A file as it is kept: its type (by its bytes) and its rewritten bytes.
pub type StrippedFile = (&'static str, Vec<u8>);

/// A reporter's file with its metadata removed, or why it is refused. What the name or the
/// browser claims about the type is ignored.
pub fn stripped_file(bytes: &[u8]) -> Result<StrippedFile, FileRefusal> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) || bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        stripped_photo(bytes).ok_or(FileRefusal::Damaged)
    } else if bytes.starts_with(b"%PDF-") {
        // Not taken from reporters until `stripped_pdf` runs in a worker process with its own
        // memory and time limits: the PDF reader's caches are not bounded by the limits above
        // (an object stream resolved as a length is decoded and kept whole, an encrypted file is
        // read without the object filter), so a crafted file could exhaust the server's memory.
        Err(FileRefusal::PdfNotYet)
    } else if bytes.starts_with(b"PK\x03\x04") {
        stripped_office(bytes)
    } else {
        Err(FileRefusal::Unsupported)
    }
}

/// A photo with everything but its picture removed: JPEG or PNG by its bytes (what the name or the
/// browser claims is ignored), without EXIF (where, when, which camera), XMP, ICC profiles,
/// comments, text chunks and timestamps. `None` for anything else, or a file that does not parse.
pub fn stripped_photo(bytes: &[u8]) -> Option<(&'static str, Vec<u8>)> {
    use img_parts::{ImageEXIF, ImageICC};
    let data = img_parts::Bytes::copy_from_slice(bytes);
    let mut out = Vec::with_capacity(bytes.len());
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(data).ok()?;
        jpeg.set_exif(None);
        jpeg.set_icc_profile(None);
        // APP1–APP15 carry EXIF, XMP, Photoshop and maker data; COM is a free comment.
        jpeg.segments_mut().retain(|segment| !matches!(segment.marker(), 0xE1..=0xEF | 0xFE));
        // APP0 stays only as the plain JFIF header (version, units, density), without the
        // thumbnail it may carry; any other APP0 (JFXX thumbnails, anything else) goes.
        jpeg.segments_mut().retain(|segment| segment.marker() != 0xE0 || (segment.contents().starts_with(b"JFIF\0") && segment.contents().len() >= 14));
        for segment in jpeg.segments_mut().iter_mut().filter(|segment| segment.marker() == 0xE0) {
            let mut header = segment.contents()[..12].to_vec();
            header.extend_from_slice(&[0, 0]);
            *segment = img_parts::jpeg::JpegSegment::new_with_contents(0xE0, img_parts::Bytes::from(header));
        }
        // The parser keeps everything from the first scan on as it came: later scans, segments
        // between them, and whatever follows the image's end (a phone's second picture with its
        // own EXIF, a motion photo's video). Only the scans and the tables between them stay.
        if let Some(last) = jpeg.segments_mut().last_mut()
            && last.marker() == 0xDA
        {
            // The segment as written: marker, length, header, then everything after it.
            let written = last.clone().encoder().bytes();
            let scans = jpeg_scans_only(written.get(4 + last.contents().len()..).unwrap_or_default());
            *last = img_parts::jpeg::JpegSegment::new_with_entropy(0xDA, last.contents().clone(), img_parts::Bytes::from(scans));
        }
        jpeg.encoder().write_to(&mut out).ok()?;
        // Only what reads back as a JPEG is kept (a damaged file can write out as none).
        img_parts::jpeg::Jpeg::from_bytes(img_parts::Bytes::copy_from_slice(&out)).ok()?;
        Some(("image/jpeg", out))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let mut png = img_parts::png::Png::from_bytes(data).ok()?;
        png.set_exif(None);
        png.set_icc_profile(None);
        // Only the chunks that draw the picture stay: text, EXIF, times, profiles and any private
        // chunk go.
        png.chunks_mut().retain(|chunk| PNG_PICTURE_CHUNKS.contains(&chunk.kind()));
        png.encoder().write_to(&mut out).ok()?;
        img_parts::png::Png::from_bytes(img_parts::Bytes::copy_from_slice(&out)).ok()?;
        Some(("image/png", out))
    } else {
        None
    }
}

thread_local! {
    /// Bytes of objects kept so far by the PDF being read on this thread (see `kept_within_budget`).
    static PDF_OBJECT_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Roughly how many bytes an object holds (its strings, names and stream contents), walked
/// without recursion.
fn pdf_object_bytes(object: &lopdf::Object) -> usize {
    let mut total = 0usize;
    let mut pending = vec![object];
    while let Some(object) = pending.pop() {
        total = total.saturating_add(std::mem::size_of::<lopdf::Object>());
        match object {
            lopdf::Object::Name(name) => total = total.saturating_add(name.len()),
            lopdf::Object::String(text, _) => total = total.saturating_add(text.len()),
            lopdf::Object::Array(items) => pending.extend(items.iter()),
            lopdf::Object::Dictionary(dictionary) => {
                for (key, value) in dictionary.iter() {
                    total = total.saturating_add(key.len());
                    pending.push(value);
                }
            }
            lopdf::Object::Stream(stream) => {
                total = total.saturating_add(stream.content.len());
                for (key, value) in stream.dict.iter() {
                    total = total.saturating_add(key.len());
                    pending.push(value);
                }
            }
            _ => {}
        }
    }
    total
}

/// The loader's object filter: keeps objects while the document's budget lasts, and none after
/// (so that no further object stream is inflated either); the overrun is seen after loading.
fn kept_within_budget(id: lopdf::ObjectId, object: &mut lopdf::Object) -> Option<(lopdf::ObjectId, lopdf::Object)> {
    let used = PDF_OBJECT_BYTES.with(|used| {
        let total = used.get().saturating_add(pdf_object_bytes(object));
        used.set(total);
        total
    });
    // The loader keeps the object in place for an object of the file, and takes what is returned
    // for one from an object stream: a copy serves both.
    (used <= PDF_OBJECT_BYTES_MAX).then(|| (id, object.clone()))
}

fn pdf_load_options() -> lopdf::LoadOptions {
    lopdf::LoadOptions { max_decompressed_size: Some(PDF_STREAM_BYTES_MAX), filter: Some(kept_within_budget), ..Default::default() }
}

/// Loads a PDF within the bounds above.
fn loaded_pdf(bytes: &[u8]) -> Result<lopdf::Document, FileRefusal> {
    PDF_OBJECT_BYTES.with(|used| used.set(0));
    let document = lopdf::Document::load_mem_with_options(bytes, pdf_load_options());
    let over_budget = PDF_OBJECT_BYTES.with(|used| used.replace(0)) > PDF_OBJECT_BYTES_MAX;
    let document = document.map_err(|_| FileRefusal::Damaged)?;
    if over_budget {
        return Err(FileRefusal::Damaged);
    }
    if document.is_encrypted() || document.was_encrypted() {
        return Err(FileRefusal::Encrypted);
    }
    Ok(document)
}

/// Annotation types whose `/T` is the name of the person who wrote them (a form field's `/T`
/// is its name and stays).
const PDF_MARKUP_ANNOTATIONS: [&[u8]; 17] = [
    b"Text",
    b"FreeText",
    b"Line",
    b"Square",
    b"Circle",
    b"Polygon",
    b"PolyLine",
    b"Highlight",
    b"Underline",
    b"Squiggly",
    b"StrikeOut",
    b"Stamp",
    b"Caret",
    b"Ink",
    b"Popup",
    b"FileAttachment",
    b"Sound",
];

/// (Not yet offered to reporters: see [`stripped_file`].) A PDF without its document information (author, creator, producer, dates), its XMP metadata
/// streams, the file identifier, application data (`/PieceInfo`), annotation authors and dates,
/// embedded files, and every earlier revision: only the objects the document still uses are
/// written out anew.
pub fn stripped_pdf(bytes: &[u8]) -> Result<Vec<u8>, FileRefusal> {
    let mut document = loaded_pdf(bytes)?;
    document.trailer.remove(b"Info");
    document.trailer.remove(b"ID");
    for object in document.objects.values_mut() {
        let mut pending = vec![object];
        while let Some(object) = pending.pop() {
            let dictionary = match object {
                lopdf::Object::Dictionary(dictionary) => dictionary,
                lopdf::Object::Stream(stream) => &mut stream.dict,
                lopdf::Object::Array(items) => {
                    pending.extend(items.iter_mut());
                    continue;
                }
                _ => continue,
            };
            for key in [&b"Metadata"[..], b"PieceInfo", b"LastModified", b"EmbeddedFiles", b"AF"] {
                dictionary.remove(key);
            }
            let markup = matches!(dictionary.get(b"Subtype"), Ok(lopdf::Object::Name(kind)) if PDF_MARKUP_ANNOTATIONS.contains(&kind.as_slice()));
            if markup && !dictionary.has(b"FT") {
                for key in [&b"T"[..], b"M", b"CreationDate", b"NM"] {
                    dictionary.remove(key);
                }
            }
            pending.extend(dictionary.iter_mut().map(|(_, value)| value));
        }
    }
    document.prune_objects();
    let mut out = Vec::new();
    document.save_to(&mut out).map_err(|_| FileRefusal::Damaged)?;
    // Only what reads back as a PDF is kept.
    loaded_pdf(&out)?;
    Ok(out)
}

/// The Office file types accepted, by the part that makes each what it is.
const OFFICE_TYPES: [(&str, &str); 3] = [
    ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
];

/// The document properties parts, written back empty (they stay, as the package names them).
const OFFICE_EMPTY_PROPERTIES: [(&str, &str); 3] = [
    (
        "docProps/core.xml",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"/>"#,
    ),
    (
        "docProps/app.xml",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"/>"#,
    ),
    (
        "docProps/custom.xml",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"/>"#,
    ),
];

/// A Word, Excel or PowerPoint file rewritten part by part: document properties emptied; authors,
/// initials, user and provider ids of comments, revisions and people emptied; revision dates and
/// revision-session ids (`rsid`) removed; the saved-from folder (`absPath`) and links to local
/// files (a template's path names the user) dropped; pictures stripped like photos; and every part
/// stored with one fixed date and no archive comment or extra fields.
fn stripped_office(bytes: &[u8]) -> Result<StrippedFile, FileRefusal> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| FileRefusal::Damaged)?;
    if archive.len() > OFFICE_ENTRIES_MAX {
        return Err(FileRefusal::Damaged);
    }
    let content_type = OFFICE_TYPES.iter().find(|(part, _)| archive.index_for_name(part).is_some()).map(|(_, kind)| *kind);
    let Some(content_type) = content_type else {
        return Err(FileRefusal::Unsupported);
    };
    if archive.index_for_name("[Content_Types].xml").is_none() {
        return Err(FileRefusal::Damaged);
    }
    let mut parts = Vec::new();
    let mut unpacked = 0u64;
    for index in 0..archive.len() {
        let mut entry = match archive.by_index(index) {
            Ok(entry) => entry,
            Err(zip::result::ZipError::UnsupportedArchive(what)) if what.contains("assword") => return Err(FileRefusal::Encrypted),
            Err(_) => return Err(FileRefusal::Damaged),
        };
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map_err(|_| FileRefusal::Damaged)?.into_owned();
        let mut content = Vec::new();
        let left = OFFICE_UNPACKED_BYTES_MAX - unpacked;
        (&mut entry).take(left + 1).read_to_end(&mut content).map_err(|_| FileRefusal::Damaged)?;
        if content.len() as u64 > left {
            return Err(FileRefusal::Damaged);
        }
        unpacked += content.len() as u64;
        parts.push((name, content));
    }
    // Macros, embedded objects and controls carry files of their own that cannot be checked here.
    if parts.iter().any(|(name, _)| {
        let lower = name.to_ascii_lowercase();
        lower.contains("vbaproject") || lower.contains("/embeddings/") || lower.contains("/activex/")
    }) {
        return Err(FileRefusal::Embedded);
    }
    let is_xml = |name: &str| [".xml", ".rels", ".vml"].iter().any(|suffix| name.to_ascii_lowercase().ends_with(suffix));
    // First the names of the people the package records (authors, editors, commenters), so that
    // a text that is just one of them (Excel opens each note with its author's name) goes too.
    let mut names = BTreeSet::new();
    for (name, content) in &parts {
        if is_xml(name) {
            scrubbed_office_xml(content, &BTreeSet::new(), &mut names).ok_or(FileRefusal::Damaged)?;
        }
    }
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).last_modified_time(zip::DateTime::default());
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in parts {
        let content: Vec<u8> = if let Some((_, empty)) = OFFICE_EMPTY_PROPERTIES.iter().find(|(part, _)| *part == name) {
            empty.as_bytes().to_vec()
        } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) || content.starts_with(b"\x89PNG\r\n\x1a\n") {
            stripped_photo(&content).ok_or(FileRefusal::Damaged)?.1
        } else if is_xml(&name) {
            // A text that is just a person's name is dropped from comments only (Excel opens each
            // note with its author's name); in the document itself it is evidence and stays.
            let in_comments = name.to_ascii_lowercase().contains("comment");
            let erased = if in_comments { &names } else { &BTreeSet::new() };
            scrubbed_office_xml(&content, erased, &mut BTreeSet::new()).ok_or(FileRefusal::Damaged)?
        } else {
            content
        };
        writer.start_file(name, options).map_err(|_| FileRefusal::Damaged)?;
        writer.write_all(&content).map_err(|_| FileRefusal::Damaged)?;
    }
    let out = writer.finish().map_err(|_| FileRefusal::Damaged)?.into_inner();
    // Only what reads back as a package with its main part is kept.
    let written = zip::ZipArchive::new(std::io::Cursor::new(out.as_slice())).map_err(|_| FileRefusal::Damaged)?;
    if written.index_for_name("[Content_Types].xml").is_none() {
        return Err(FileRefusal::Damaged);
    }
    drop(written);
    Ok((content_type, out))
}

/// The local part of an XML name (`w:author` → `author`).
fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// One Office XML part without who wrote it and when (see [`stripped_office`]), or `None` if it
/// is not well-formed. The people it names are added to `found`; a text that is only one of
/// `erased` (with or without a colon after it) is dropped.
fn scrubbed_office_xml(xml: &[u8], erased: &BTreeSet<String>, found: &mut BTreeSet<String>) -> Option<Vec<u8>> {
    use quick_xml::events::{BytesStart, Event};
    /// Elements dropped with everything inside them.
    const DROPPED: [&str; 2] = ["rsids", "absPath"];
    /// Attributes whose value names a person or an organisation's account, emptied.
    const PERSONAL: [&str; 6] = ["author", "initials", "userId", "providerId", "userName", "siteId"];
    /// Attributes whose value is a person's name (kept in `found`).
    const NAMING: [&str; 3] = ["author", "displayName", "userName"];
    /// Elements whose text is a person's name (an Excel comment's `<author>`, a document's
    /// creator and last editor, a SharePoint user), emptied.
    const NAME_ELEMENTS: [&str; 4] = ["author", "creator", "lastModifiedBy", "DisplayName"];
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut writer = quick_xml::Writer::new(Vec::with_capacity(xml.len()));
    let mut buffer = Vec::new();
    let mut dropped_depth = 0usize;
    let mut in_name = false;
    loop {
        let event = reader.read_event_into(&mut buffer).ok()?;
        if dropped_depth > 0 {
            match event {
                Event::Start(_) => dropped_depth += 1,
                Event::End(_) => dropped_depth -= 1,
                Event::Eof => return None,
                _ => {}
            }
            buffer.clear();
            continue;
        }
        let written = match event {
            Event::Start(element) if DROPPED.contains(&local_name(element.name().into_inner())) => {
                dropped_depth = 1;
                buffer.clear();
                continue;
            }
            Event::Empty(element) if DROPPED.contains(&local_name(element.name().into_inner())) => {
                buffer.clear();
                continue;
            }
            Event::Start(element) => {
                in_name = NAME_ELEMENTS.contains(&local_name(element.name().into_inner()));
                Event::Start(scrubbed_element(&element, found)?)
            }
            Event::Empty(element) => Event::Empty(scrubbed_element(&element, found)?),
            Event::End(element) => {
                in_name = false;
                Event::End(element)
            }
            Event::Text(text) if in_name => {
                let name = text.xml10_content().trim().to_owned();
                if name.chars().count() >= 2 {
                    found.insert(name);
                }
                buffer.clear();
                continue;
            }
            Event::GeneralRef(_) | Event::CData(_) if in_name => {
                buffer.clear();
                continue;
            }
            Event::Text(text) if !erased.is_empty() && erased.contains(text.xml10_content().trim().trim_end_matches([':', '：'])) => {
                buffer.clear();
                continue;
            }
            Event::Eof => break,
            other => other,
        };
        writer.write_event(written).ok()?;
        buffer.clear();
    }
    return Some(writer.into_inner());

    fn scrubbed_element(element: &BytesStart<'_>, found: &mut BTreeSet<String>) -> Option<BytesStart<'static>> {
        let element_name = local_name(element.name().into_inner()).to_owned();
        let mut out = element.to_owned();
        out.clear_attributes();
        let is_relationship = element_name == "Relationship";
        let mut external = false;
        let mut target: Option<String> = None;
        for attribute in element.attributes() {
            let attribute = attribute.ok()?;
            let key = attribute.key.into_inner();
            let local = local_name(key);
            if local.starts_with("rsid") || matches!(local, "date" | "dateUtc" | "dateTime") {
                continue;
            }
            // A person's `displayName` and `name` (a table's `displayName` is its name and stays).
            let person = matches!(element_name.as_str(), "cmAuthor" | "author" | "person" | "userName");
            let personal = PERSONAL.contains(&local) || (person && matches!(local, "name" | "displayName"));
            if is_relationship && key == "TargetMode" {
                external = attribute.value.as_ref() == "External";
            }
            if is_relationship && key == "Target" {
                target = Some(attribute.value.into_owned());
                continue;
            }
            if personal && NAMING.contains(&local) && attribute.value.chars().count() >= 2 {
                found.insert(attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()?.trim().to_owned());
            }
            // Written between double quotes: a value read between single quotes may hold one.
            let value: Cow<'_, str> = if personal {
                Cow::Borrowed("")
            } else if attribute.value.contains('"') {
                Cow::Owned(attribute.value.replace('"', "&quot;"))
            } else {
                attribute.value
            };
            out.push_attribute(quick_xml::events::attributes::Attribute { key: attribute.key, value });
        }
        if let Some(target) = target {
            // An outside link to anything but the web or mail (a file on the author's machine, a
            // share, a drive) names their folders; web and mail links stay.
            let lower = target.to_ascii_lowercase();
            let web_or_mail = ["http://", "https://", "mailto:"].iter().any(|scheme| lower.starts_with(scheme));
            let value = if external && !web_or_mail { "file:///".to_owned() } else { target.replace('"', "&quot;") };
            // The value is pushed as read (already escaped).
            out.push_attribute(quick_xml::events::attributes::Attribute { key: quick_xml::name::QName("Target"), value: Cow::Owned(value) });
        }
        Some(out)
    }
}

/// Whether a kept photo reads back without metadata: a JPEG whose segments before its first scan
/// are no application segment but the plain JFIF header and no comment, a PNG of picture chunks
/// only. (What follows the first scan is cleaned by `jpeg_scans_only`.)
pub fn holds_no_metadata(photo: &[u8]) -> bool {
    let bytes = img_parts::Bytes::copy_from_slice(photo);
    if let Ok(jpeg) = img_parts::jpeg::Jpeg::from_bytes(bytes.clone()) {
        jpeg.segments().iter().all(|segment| match segment.marker() {
            0xE0 => segment.contents().len() == 14 && segment.contents().starts_with(b"JFIF\0"),
            0xE1..=0xEF | 0xFE => false,
            _ => true,
        })
    } else if let Ok(png) = img_parts::png::Png::from_bytes(bytes) {
        png.chunks().iter().all(|chunk| PNG_PICTURE_CHUNKS.contains(&chunk.kind()))
    } else {
        false
    }
}

/// The PNG chunks a picture needs (critical, colour and transparency, pixel size, animation).
const PNG_PICTURE_CHUNKS: [[u8; 4]; 13] =
    [*b"IHDR", *b"PLTE", *b"IDAT", *b"IEND", *b"tRNS", *b"gAMA", *b"cHRM", *b"sRGB", *b"sBIT", *b"bKGD", *b"pHYs", *b"acTL", *b"fcTL"];

/// A JPEG's data from its first scan on, as the image needs it: entropy-coded scans and the
/// segments between them (tables, further scans of a progressive picture), without application
/// segments and comments, ending at the first end-of-image marker; what follows it is dropped.
fn jpeg_scans_only(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 2);
    let mut at = 0;
    // The data starts inside the first scan; after any other segment, only a marker may follow,
    // and bytes that are not one are dropped (nothing may hide between segments).
    let mut in_scan = true;
    loop {
        // Entropy-coded bytes up to the next marker: 0xFF00 is a stuffed byte, 0xFFD0–D7 restart
        // markers belong to the scan, and 0xFF fill bytes are skipped.
        while at < data.len() {
            if data[at] != 0xFF {
                if in_scan {
                    out.push(data[at]);
                }
                at += 1;
                continue;
            }
            match data.get(at + 1) {
                Some(0x00 | 0xD0..=0xD7) => {
                    if in_scan {
                        out.extend_from_slice(&data[at..at + 2]);
                    }
                    at += 2;
                }
                Some(0xFF) | None => at += 1,
                Some(_) => break,
            }
        }
        let Some(&marker) = data.get(at + 1) else { break };
        at += 2;
        match marker {
            0xD9 => break,
            // Markers without a length (a stray start of image, TEM): dropped.
            0xD8 | 0x01 => continue,
            _ => {}
        }
        let Some(length) = data.get(at..at + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))) else { break };
        if length < 2 || at + length > data.len() {
            break;
        }
        if !matches!(marker, 0xE0..=0xEF | 0xFE) {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(&data[at..at + length]);
        }
        at += length;
        in_scan = marker == 0xDA;
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, marker];
        out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn photos_lose_their_metadata_and_other_files_are_refused() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        jpeg.extend(segment(0xE1, b"Exif\0\0GPS 43.88N 125.35E SECRET-CAMERA"));
        jpeg.extend(segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>SECRET-AUTHOR</x:xmpmeta>"));
        jpeg.extend(segment(0xFE, b"SECRET-COMMENT"));
        jpeg.extend(segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]));
        jpeg.extend_from_slice(&[0x12, 0x34, 0x56, 0xFF, 0xD9]);
        assert!(contains(&jpeg, b"SECRET"), "the check can see what it looks for");
        let (content_type, stripped) = stripped_photo(&jpeg).unwrap();
        assert_eq!(content_type, "image/jpeg");
        assert!(!contains(&stripped, b"SECRET") && !contains(&stripped, b"GPS"), "EXIF, XMP and comments are gone");
        assert!(contains(&stripped, b"JFIF") && contains(&stripped, &[0x12, 0x34, 0x56]), "the picture stays");

        // A phone's second picture after the first's end, and a comment between progressive scans.
        let mut two = jpeg[..jpeg.len() - 2].to_vec();
        two.extend(segment(0xFE, b"SECRET-BETWEEN-SCANS"));
        two.extend_from_slice(b"SECRET-HIDDEN-BETWEEN-SEGMENTS");
        two.extend(segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]));
        two.extend_from_slice(&[0x77, 0xFF, 0x00, 0x78, 0xFF, 0xD9]);
        two.extend_from_slice(&jpeg);
        let (_, stripped) = stripped_photo(&two).unwrap();
        assert!(!contains(&stripped, b"SECRET"), "{stripped:x?}");
        assert!(
            contains(&stripped, &[0x77, 0xFF, 0x00, 0x78, 0xFF, 0xD9]) && stripped.ends_with(&[0x78, 0xFF, 0xD9]),
            "both scans stay, nothing after the end"
        );

        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        png.extend(chunk(b"tEXt", b"Author\0SECRET-NAME"));
        png.extend(chunk(b"eXIf", b"MM\0*SECRET-GPS"));
        png.extend(chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0x60, 0, 0, 0, 2, 0, 1]));
        png.extend(chunk(b"IEND", &[]));
        let (content_type, stripped) = stripped_photo(&png).unwrap();
        assert_eq!(content_type, "image/png");
        assert!(!contains(&stripped, b"SECRET"), "text and EXIF chunks are gone");
        assert!(contains(&stripped, b"IDAT"));

        assert!(stripped_photo(b"%PDF-1.7 author SECRET").is_none(), "a document is no photo");
        assert!(stripped_photo(&[0xFF, 0xD8, 0xFF, 0x00]).is_none(), "a broken JPEG is refused");
    }

    /// A PDF whose information dictionary, XMP stream, identifier, annotation and a leftover object
    /// (as an earlier revision leaves) each carry a secret, and whose page shows `PAGE-KEPT`.
    fn pdf_with_secrets() -> Vec<u8> {
        use lopdf::{Dictionary, Object, Stream, dictionary};
        let mut document = lopdf::Document::with_version("1.7");
        let pages_id = document.new_object_id();
        let content = document.add_object(Stream::new(Dictionary::new(), b"BT /F1 12 Tf 72 712 Td (PAGE-KEPT) Tj ET".to_vec()));
        let annotation = document.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Text", "Rect" => vec![0.into(), 0.into(), 10.into(), 10.into()],
            "Contents" => Object::string_literal("see here"), "T" => Object::string_literal("SECRET-ANNOTATOR"), "M" => Object::string_literal("D:20240101SECRET"),
        });
        let page = document.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content, "Annots" => vec![annotation.into()],
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()], "PieceInfo" => dictionary! { "App" => Object::string_literal("SECRET-PIECE") },
        });
        document.objects.insert(pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }));
        let xmp = document.add_object(Stream::new(dictionary! { "Type" => "Metadata", "Subtype" => "XML" }, b"<x:xmpmeta>SECRET-XMP</x:xmpmeta>".to_vec()));
        let catalog = document.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id, "Metadata" => xmp });
        let info =
            document.add_object(dictionary! { "Author" => Object::string_literal("SECRET-AUTHOR"), "Producer" => Object::string_literal("SECRET-PRODUCER") });
        document.add_object(Stream::new(Dictionary::new(), b"(SECRET-EARLIER-REVISION)".to_vec()));
        document.trailer.set("Root", catalog);
        document.trailer.set("Info", info);
        document.trailer.set("ID", vec![Object::string_literal("SECRET-ID"), Object::string_literal("SECRET-ID")]);
        let mut out = Vec::new();
        document.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn a_pdf_loses_who_made_it_and_keeps_its_pages() {
        let pdf = pdf_with_secrets();
        assert!(contains(&pdf, b"SECRET-AUTHOR") && contains(&pdf, b"SECRET-EARLIER-REVISION"), "the check can see what it looks for");
        assert_eq!(stripped_file(&pdf).unwrap_err(), FileRefusal::PdfNotYet, "not taken from reporters yet");
        let stripped = stripped_pdf(&pdf).unwrap();
        assert!(!contains(&stripped, b"SECRET"), "{}", String::from_utf8_lossy(&stripped));
        assert!(
            contains(&stripped, b"PAGE-KEPT") && contains(&stripped, b"see here"),
            "the page and the annotation's text stay: {}",
            String::from_utf8_lossy(&stripped)
        );
        let document = lopdf::Document::load_mem(&stripped).unwrap();
        assert_eq!(document.get_pages().len(), 1, "the result reads as a PDF with its page");
    }

    #[test]
    fn unreadable_encrypted_and_foreign_files_are_refused() {
        let pdf = pdf_with_secrets();
        assert_eq!(stripped_pdf(&pdf[..pdf.len() / 3]).unwrap_err(), FileRefusal::Damaged, "a truncated PDF");
        assert_eq!(stripped_pdf(b"%PDF-1.4\n%%EOF").unwrap_err(), FileRefusal::Damaged);
        assert_eq!(stripped_file(b"GIF89a....").unwrap_err(), FileRefusal::Unsupported);
        assert_eq!(stripped_file(b"<script>alert(1)</script>").unwrap_err(), FileRefusal::Unsupported);
        // A zip that is no Office document (no main part).
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("evil.exe", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(b"MZ").unwrap();
        assert_eq!(stripped_file(&zip.finish().unwrap().into_inner()).unwrap_err(), FileRefusal::Unsupported);
        // A password-protected part.
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("[Content_Types].xml", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(b"<Types/>").unwrap();
        zip.start_file("word/document.xml", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(b"<w:document/>").unwrap();
        let mut encrypted = zip.finish().unwrap().into_inner();
        // Marks every part encrypted (bit 0 of the flags, in the local and the central headers).
        for at in 0..encrypted.len() - 10 {
            if encrypted[at..].starts_with(b"PK\x03\x04") {
                encrypted[at + 6] |= 1;
            } else if encrypted[at..].starts_with(b"PK\x01\x02") {
                encrypted[at + 8] |= 1;
            }
        }
        assert_eq!(stripped_file(&encrypted).unwrap_err(), FileRefusal::Encrypted);
    }

    /// A Word document whose properties, revisions, comments, settings, links and picture each
    /// carry a secret, and whose text is `PARAGRAPH-KEPT`.
    fn docx_with_secrets() -> Vec<u8> {
        let mut exif_jpeg = vec![0xFF, 0xD8];
        exif_jpeg.extend(segment(0xE1, b"Exif\0\0SECRET-GPS"));
        exif_jpeg.extend(segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]));
        exif_jpeg.extend_from_slice(&[0x12, 0xFF, 0xD9]);
        let parts: [(&str, &[u8]); 8] = [
            ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#),
            ("docProps/core.xml", br#"<cp:coreProperties xmlns:cp="c" xmlns:dc="d"><dc:creator>SECRET-CREATOR</dc:creator></cp:coreProperties>"#),
            ("docProps/app.xml", br#"<Properties><Company>SECRET-COMPANY</Company></Properties>"#),
            (
                "word/document.xml",
                br#"<w:document xmlns:w="w"><w:body><w:p w:rsidR="00SECRET1"><w:ins w:id="1" w:author="SECRET-REVISER" w:date="2024-01-01T00:00:00Z"><w:r><w:t>PARAGRAPH-KEPT</w:t></w:r></w:ins></w:p></w:body></w:document>"#,
            ),
            ("word/comments.xml", br#"<w:comments xmlns:w="w"><w:comment w:id="0" w:author="SECRET-COMMENTER" w:initials="SC"><w:p><w:r><w:t>a remark</w:t></w:r></w:p></w:comment></w:comments>"#),
            ("word/settings.xml", br#"<w:settings xmlns:w="w"><w:attachedTemplate r:id="rId1"/><w:rsids><w:rsidRoot w:val="00SECRET2"/><w:rsid w:val="00SECRET3"/></w:rsids><w:zoom w:percent="100"/></w:settings>"#),
            (
                "word/_rels/settings.xml.rels",
                br#"<Relationships><Relationship Id="rId1" Type="t" Target="file:///C:\Users\SECRET-USER\Normal.dotm" TargetMode="External"/><Relationship Id="rId2" Type="h" Target="https://example.org/kept" TargetMode="External"/></Relationships>"#,
            ),
            ("word/media/image1.jpeg", &exif_jpeg),
        ];
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, content) in parts {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(content).unwrap();
        }
        zip.set_comment("SECRET-ARCHIVE-COMMENT").unwrap();
        zip.finish().unwrap().into_inner()
    }

    /// Every part of a zip, unpacked and joined.
    fn unpacked(bytes: &[u8]) -> Vec<u8> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut all = archive.comment().to_vec();
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).unwrap();
            all.extend_from_slice(entry.name().unwrap().as_bytes());
            entry.read_to_end(&mut all).unwrap();
        }
        all
    }

    #[test]
    fn a_word_document_loses_who_wrote_it_and_keeps_its_text() {
        let docx = docx_with_secrets();
        assert!(contains(&unpacked(&docx), b"SECRET-REVISER"), "the check can see what it looks for");
        let (content_type, stripped) = stripped_file(&docx).unwrap();
        assert_eq!(content_type, "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
        let all = unpacked(&stripped);
        assert!(!contains(&all, b"SECRET"), "{}", String::from_utf8_lossy(&all));
        assert!(
            contains(&all, b"PARAGRAPH-KEPT") && contains(&all, b"a remark") && contains(&all, b"https://example.org/kept"),
            "text, comments and web links stay"
        );
        assert!(contains(&all, br#"<w:zoom w:percent="100"/>"#), "other settings stay");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(stripped.as_slice())).unwrap();
        assert_eq!(archive.len(), 8, "every part stays, so the package stays whole");
        let entry = archive.by_index(0).unwrap();
        assert_eq!(entry.last_modified(), Some(zip::DateTime::default()), "one fixed date for every part");
    }

    #[test]
    fn a_workbook_loses_its_author_and_opens_with_its_cells() {
        use calamine::Reader as _;
        let mut workbook = rust_xlsxwriter::Workbook::new();
        workbook.set_properties(&rust_xlsxwriter::DocProperties::new().set_author("SECRET-AUTHOR").set_company("SECRET-COMPANY"));
        let sheet = workbook.add_worksheet();
        sheet.write(0, 0, "CELL-KEPT").unwrap();
        sheet.insert_note(0, 0, &rust_xlsxwriter::Note::new("a note").set_author("SECRET-NOTE-AUTHOR")).unwrap();
        let xlsx = workbook.save_to_buffer().unwrap();
        assert!(contains(&unpacked(&xlsx), b"SECRET-NOTE-AUTHOR"), "the check can see what it looks for");
        let (content_type, stripped) = stripped_file(&xlsx).unwrap();
        assert_eq!(content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        let all = unpacked(&stripped);
        assert!(!contains(&all, b"SECRET"), "{}", String::from_utf8_lossy(&all));
        let mut opened = calamine::Xlsx::new(std::io::Cursor::new(stripped)).unwrap();
        let range = opened.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.get_value((0, 0)).map(|cell| cell.to_string()), Some("CELL-KEPT".to_string()));
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_unpacks() {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("[Content_Types].xml", deflated).unwrap();
        zip.write_all(b"<Types/>").unwrap();
        zip.start_file("word/document.xml", deflated).unwrap();
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..(OFFICE_UNPACKED_BYTES_MAX >> 20) + 1 {
            zip.write_all(&zeros).unwrap();
        }
        let bomb = zip.finish().unwrap().into_inner();
        assert!(bomb.len() < 1 << 20, "small packed");
        assert_eq!(stripped_file(&bomb).unwrap_err(), FileRefusal::Damaged);
    }

    #[test]
    fn a_pdf_whose_object_stream_inflates_past_the_bound_is_refused() {
        let mut members = b"4 0 (".to_vec();
        members.resize(PDF_STREAM_BYTES_MAX + 1024, b'A');
        members.push(b')');
        let mut packed = lopdf::Stream::new(lopdf::Dictionary::new(), members);
        packed.compress().unwrap();
        // Written by hand: no cross-reference table, so the reader finds the objects by scanning.
        let mut pdf = b"%PDF-1.7\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n2 0 obj\n<</Type/Pages/Kids[]/Count 0>>\nendobj\n".to_vec();
        pdf.extend(format!("3 0 obj\n<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length {}>>\nstream\n", packed.content.len()).into_bytes());
        pdf.extend(&packed.content);
        pdf.extend(b"\nendstream\nendobj\ntrailer\n<</Root 1 0 R/Size 4>>\n%%EOF\n");
        assert!(pdf.len() < 1 << 20, "small on the wire: {}", pdf.len());
        assert_eq!(stripped_pdf(&pdf).unwrap_err(), FileRefusal::Damaged);
    }

    #[test]
    fn an_office_file_keeps_its_tables_and_text_and_refuses_macros() {
        let parts: [(&str, &[u8]); 4] = [
            ("[Content_Types].xml", b"<Types/>"),
            (
                "word/document.xml",
                br#"<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>SECRET-SAME</w:t></w:r></w:p><v:shape alt='say "hi"'/></w:body></w:document>"#,
            ),
            (
                "word/comments.xml",
                br#"<w:comments xmlns:w="w"><w:comment w:id="0" w:author="SECRET-SAME"><w:p><w:r><w:t>SECRET-SAME:</w:t></w:r></w:p></w:comment></w:comments>"#,
            ),
            ("xl/tables/table1.xml", br#"<table name="Table1" displayName="Table1" ref="A1:B2"/>"#),
        ];
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, content) in parts {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(content).unwrap();
        }
        let docx = zip.finish().unwrap().into_inner();
        let (_, stripped) = stripped_file(&docx).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(stripped.as_slice())).unwrap();
        let mut read = |name: &str| {
            let mut text = String::new();
            archive.by_name(name).unwrap().read_to_string(&mut text).unwrap();
            text
        };
        assert!(read("word/document.xml").contains("<w:t>SECRET-SAME</w:t>"), "the document's own text is evidence and stays");
        assert!(read("word/document.xml").contains(r#"alt="say &quot;hi&quot;""#), "a quote inside a value stays well-formed");
        assert!(!read("word/comments.xml").contains("SECRET"), "a comment's author, and its name opening the comment, go");
        assert!(read("xl/tables/table1.xml").contains(r#"displayName="Table1""#), "a table's name stays");

        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, content) in [("[Content_Types].xml", &b"<Types/>"[..]), ("word/document.xml", b"<w:document/>"), ("word/vbaProject.bin", b"macro")] {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(content).unwrap();
        }
        assert_eq!(stripped_file(&zip.finish().unwrap().into_inner()).unwrap_err(), FileRefusal::Embedded);
    }
}
