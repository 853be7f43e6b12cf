//! Images from users' uploads, made safe to draw: recognised by their bytes (JPEG or PNG only),
//! their size read and bounded before anything is decoded, and each tried alone in a scratch PDF
//! so that one corrupt photo becomes a placeholder instead of failing the document.

use krilla::geom::Size;
use krilla::image::Image;
use krilla::page::PageSettings;

/// A PNG is decoded whole (width × height × up to 8 bytes) and compressed again: at most this
/// many pixels (a 12-megapixel phone photo is a JPEG; PNGs are drawings and screenshots)…
const PNG_PIXELS_MAX: u64 = 4_000_000;
/// …and at most this many on a side.
const PNG_SIDE_MAX: u32 = 4000;
/// A JPEG is copied into the PDF undecoded (the reader decodes it): sides up to this.
const JPEG_SIDE_MAX: u32 = 20_000;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
const JPEG_SIGNATURE: [u8; 3] = [0xFF, 0xD8, 0xFF];

/// An image ready to draw, or the placeholder drawn instead.
#[derive(Clone)]
pub(crate) enum Prepared {
    Image { image: Image, width: u32, height: u32 },
    Placeholder,
}

impl Prepared {
    pub(crate) fn is_image(&self) -> bool {
        matches!(self, Prepared::Image { .. })
    }
}

/// Prepares an image from its bytes. With `probe`, the image is also written alone into a scratch
/// PDF, which shows whether krilla can embed it (its decoding errors only surface when a document
/// is finished).
pub(crate) fn prepare(bytes: &[u8], probe: bool) -> Prepared {
    // The decoders are third-party code fed with uploads: a panic in one is a placeholder.
    std::panic::catch_unwind(|| prepare_unguarded(bytes, probe)).unwrap_or(Prepared::Placeholder)
}

fn prepare_unguarded(bytes: &[u8], probe: bool) -> Prepared {
    let loaded = if bytes.starts_with(&PNG_SIGNATURE) {
        if !png_size(bytes)
            .is_some_and(|(width, height)| width <= PNG_SIDE_MAX && height <= PNG_SIDE_MAX && u64::from(width) * u64::from(height) <= PNG_PIXELS_MAX)
        {
            return Prepared::Placeholder;
        }
        Image::from_png(bytes.to_vec().into(), false)
    } else if bytes.starts_with(&JPEG_SIGNATURE) {
        Image::from_jpeg(bytes.to_vec().into(), false)
    } else {
        return Prepared::Placeholder;
    };
    let Ok(image) = loaded else {
        return Prepared::Placeholder;
    };
    let (width, height) = image.size();
    if width == 0 || height == 0 || width > JPEG_SIDE_MAX || height > JPEG_SIDE_MAX {
        return Prepared::Placeholder;
    }
    if probe && !embeds(&image) {
        return Prepared::Placeholder;
    }
    Prepared::Image { image, width, height }
}

/// The width and height a PNG's header (IHDR, the first chunk) gives; none when the bytes are
/// not a PNG. Nothing is decoded.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(&PNG_SIGNATURE) || bytes.get(8..16) != Some(b"\0\0\0\x0DIHDR".as_slice()) {
        return None;
    }
    let number = |at: usize| bytes.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes);
    Some((number(16)?, number(20)?))
}

/// Whether a PDF holding just this image can be finished. krilla has already decoded the image
/// (or, for a JPEG, read its headers) when it was made, so this costs a copy of its compressed data.
fn embeds(image: &Image) -> bool {
    let (Some(settings), Some(size)) = (PageSettings::from_wh(1.0, 1.0), Size::from_wh(1.0, 1.0)) else {
        return false;
    };
    let mut document = krilla::Document::new();
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    surface.draw_image(image.clone(), size);
    surface.finish();
    page.finish();
    document.finish().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_sizes_are_read_from_the_header_only() {
        let mut header = PNG_SIGNATURE.to_vec();
        header.extend_from_slice(b"\0\0\0\x0DIHDR");
        header.extend_from_slice(&100_000u32.to_be_bytes());
        header.extend_from_slice(&3u32.to_be_bytes());
        assert_eq!(png_size(&header), Some((100_000, 3)));
        assert_eq!(png_size(&header[..20]), None);
        assert_eq!(png_size(&PNG_SIGNATURE), None);
        let mut not_png = header.clone();
        not_png[1] = b'Q';
        assert_eq!(png_size(&not_png), None, "a header without the PNG signature is no PNG");
        // Too wide: never handed to the decoder.
        assert!(!prepare(&header, true).is_image());
    }

    #[test]
    fn unknown_bytes_are_placeholders() {
        for bytes in [&b""[..], b"GIF89a", b"\xFF\xD8", b"\xFF\xD8\xFF", b"%PDF-1.7", &PNG_SIGNATURE] {
            assert!(!prepare(bytes, true).is_image(), "{bytes:?}");
        }
    }
}
