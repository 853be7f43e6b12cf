//! Fuzzes the text extraction of uploaded documents (.docx, and .txt in UTF-8, UTF-16 or
//! GB18030): any bytes give text or an error, never a panic or an unbounded allocation.

#![no_main]

#[path = "../../crates/app/src/documents.rs"]
#[allow(dead_code)]
mod documents;
#[path = "../../crates/app/src/spreadsheet.rs"]
#[allow(dead_code)]
mod spreadsheet;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = documents::document_text("plan.docx", data);
    let _ = documents::document_text("plan.txt", data);
});
