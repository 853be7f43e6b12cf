//! Fuzzes the stripping of reporters' files (`app::reporter_files`, compiled in from its source):
//! any bytes give a refusal or a photo, PDF or Office file of the type its bytes say, which holds
//! no EXIF segment or text chunk (photos) and is kept again when stripped a second time; never a
//! panic, and never more memory than the bounds allow (`-rss_limit_mb`).

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/app/src/reporter_files.rs"]
#[allow(dead_code)]
mod reporter_files;

fuzz_target!(|data: &[u8]| {
    if let Ok((content_type, out)) = reporter_files::stripped_file(data) {
        match content_type {
            "image/jpeg" | "image/png" => {
                // Rewriting may lay segments out anew, but never multiplies a photo.
                assert!(out.len() <= 2 * data.len() + 64, "stripping never grows a photo much");
                // Metadata is a structure, not a byte pattern (pixel data may hold any bytes):
                // what reads back has no metadata segment or chunk.
                assert!(reporter_files::holds_no_metadata(&out), "metadata left");
            }
            "application/pdf" => assert!(out.starts_with(b"%PDF-")),
            office => {
                assert!(office.starts_with("application/vnd.openxmlformats-officedocument."), "unexpected type {office}");
                assert!(out.starts_with(b"PK\x03\x04"));
            }
        }
        let again = reporter_files::stripped_file(&out).map(|(kind, _)| kind);
        assert_eq!(again, Ok(content_type), "what comes out is kept again, as the same type");
    }
});
