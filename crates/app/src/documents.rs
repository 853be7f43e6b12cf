//! Reading the text of an uploaded document: plain text (UTF-8, UTF-16 or GB18030, by
//! `spreadsheet::decode_text`) or a Word .docx, whose paragraphs become lines. Bounded against
//! oversized files and zip bombs.

use domain::message::Message;
use std::io::Read;

use quick_xml::events::Event;

/// Largest document accepted.
pub const DOCUMENT_BYTES_MAX: usize = 20 * 1024 * 1024;
/// Largest uncompressed `word/document.xml` read from a .docx (a guard against zip bombs).
pub const DOCX_XML_BYTES_MAX: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the file is larger than {} MB", DOCUMENT_BYTES_MAX >> 20)]
    TooLarge,
    #[error("unsupported file type; upload .txt or .docx")]
    UnsupportedType,
    #[error("the text encoding is not recognised: {0}")]
    Encoding(Message),
    #[error("not a valid .docx file: {0}")]
    BadDocx(String),
}

impl DocumentError {
    /// What went wrong, for people.
    pub fn message(&self) -> Message {
        match self {
            Self::TooLarge => domain::message!("documents.too_large", max = DOCUMENT_BYTES_MAX >> 20),
            Self::UnsupportedType => domain::message!("documents.unsupported_type"),
            Self::Encoding(problem) => domain::message!("documents.encoding", problem => problem.clone()),
            Self::BadDocx(detail) => domain::message!("documents.bad_docx", detail = detail),
        }
    }
}

/// The text of a document, chosen by the file name's extension (`.txt`/`.text`, `.docx`).
pub fn document_text(file_name: &str, bytes: &[u8]) -> Result<String, DocumentError> {
    if bytes.len() > DOCUMENT_BYTES_MAX {
        return Err(DocumentError::TooLarge);
    }
    let lower = file_name.to_lowercase();
    if lower.ends_with(".docx") {
        docx_text(bytes)
    } else if lower.ends_with(".txt") || lower.ends_with(".text") || !lower.contains('.') {
        crate::spreadsheet::decode_text(bytes).map_err(DocumentError::Encoding)
    } else {
        Err(DocumentError::UnsupportedType)
    }
}

/// The paragraphs of a .docx's main document, one per line; tabs and breaks kept.
pub fn docx_text(bytes: &[u8]) -> Result<String, DocumentError> {
    let bad = |what: String| DocumentError::BadDocx(what);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let mut entry = archive.by_name("word/document.xml").map_err(|_| bad("word/document.xml is missing".into()))?;
    let mut xml = Vec::new();
    (&mut entry).take(DOCX_XML_BYTES_MAX + 1).read_to_end(&mut xml).map_err(|e| bad(e.to_string()))?;
    if xml.len() as u64 > DOCX_XML_BYTES_MAX {
        return Err(bad(format!("the document text is larger than {} MB", DOCX_XML_BYTES_MAX >> 20)));
    }
    let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
    let mut text = String::new();
    let mut in_text = false;
    let mut buffer = Vec::new();
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(Event::Start(element)) if element.name().into_inner() == "w:t" => in_text = true,
            Ok(Event::End(element)) => match element.name().into_inner() {
                "w:t" => in_text = false,
                "w:p" => text.push('\n'),
                _ => {}
            },
            Ok(Event::Empty(element)) => match element.name().into_inner() {
                "w:tab" => text.push('\t'),
                "w:br" | "w:cr" => text.push('\n'),
                _ => {}
            },
            Ok(Event::Text(content)) if in_text => {
                text.push_str(&content.xml10_content());
            }
            Ok(Event::GeneralRef(reference)) if in_text => {
                // Character and predefined entity references inside a text run.
                let name = reference.xml10_content();
                let resolved = match name.as_ref() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => reference.resolve_char_ref().ok().flatten(),
                };
                if let Some(c) = resolved {
                    text.push(c);
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(error) => return Err(bad(format!("at byte {}: {error}", reader.error_position()))),
        }
        buffer.clear();
    }
    Ok(text)
}

/// A minimal .docx holding `paragraphs` as plain runs: fixtures for tests of document import.
pub fn docx_with(paragraphs: &[&str]) -> Vec<u8> {
    use std::io::Write;
    let mut body = String::new();
    for paragraph in paragraphs {
        let escaped = paragraph.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        body.push_str(&format!("<w:p><w:r><w:t xml:space=\"preserve\">{escaped}</w:t></w:r></w:p>"));
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    let mut buffer = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buffer);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("[Content_Types].xml", options).expect("writing to memory");
        zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).expect("writing to memory");
        zip.start_file("word/document.xml", options).expect("writing to memory");
        zip.write_all(document.as_bytes()).expect("writing to memory");
        zip.finish().expect("writing to memory");
    }
    buffer.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docx_paragraphs_become_lines() {
        let bytes = docx_with(&["安委会工作要点", "一、总体要求", "1.抓好落实(省应急管理厅负责)。", "R&D <x>"]);
        let text = document_text("plan.DOCX", &bytes).unwrap();
        assert_eq!(text, "安委会工作要点\n一、总体要求\n1.抓好落实(省应急管理厅负责)。\nR&D <x>\n");
    }

    #[test]
    fn bad_documents_are_refused_with_the_reason() {
        assert!(matches!(document_text("plan.docx", b"PK\x03\x04 not a zip"), Err(DocumentError::BadDocx(_))));
        assert!(matches!(document_text("plan.pdf", b"%PDF"), Err(DocumentError::UnsupportedType)));
        assert!(matches!(document_text("plan.txt", &[0x81, 0x20, 0xff, 0xff]), Err(DocumentError::Encoding(_))));
        assert_eq!(document_text("plan.txt", &vec![b'a'; DOCUMENT_BYTES_MAX + 1]), Err(DocumentError::TooLarge));
        let (gb, _, _) = encoding_rs::GB18030.encode("一、安全生产");
        assert_eq!(document_text("plan.txt", &gb).unwrap(), "一、安全生产");
    }
}
