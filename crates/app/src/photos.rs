//! Photos people upload where no metadata may travel with them (a reporter's): checked by their
//! bytes and stripped of everything but the picture. Compiled into the fuzz target `tip_photo`
//! from this file, so it depends on nothing else of `app`.

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
        jpeg.encoder().write_to(&mut out).ok()?;
        // Only what reads back as a JPEG is kept (a damaged file can write out as none).
        img_parts::jpeg::Jpeg::from_bytes(img_parts::Bytes::copy_from_slice(&out)).ok()?;
        Some(("image/jpeg", out))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let mut png = img_parts::png::Png::from_bytes(data).ok()?;
        png.set_exif(None);
        png.set_icc_profile(None);
        png.chunks_mut().retain(|chunk| !matches!(&chunk.kind(), b"tEXt" | b"iTXt" | b"zTXt" | b"eXIf" | b"tIME" | b"iCCP"));
        png.encoder().write_to(&mut out).ok()?;
        img_parts::png::Png::from_bytes(img_parts::Bytes::copy_from_slice(&out)).ok()?;
        Some(("image/png", out))
    } else {
        None
    }
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

        assert!(stripped_photo(b"%PDF-1.7 author SECRET").is_none(), "documents are refused");
        assert!(stripped_photo(&[0xFF, 0xD8, 0xFF, 0x00]).is_none(), "a broken JPEG is refused");
    }
}
