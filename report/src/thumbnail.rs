//! Photo thumbnails: a JPEG or PNG decoded (never above [`MAX_PIXELS`] or
//! [`MAX_DECODE_BYTES`]), scaled to at most [`LONG_SIDE`] pixels on its long side and
//! encoded as a JPEG, so a report holds a picture the size of a page, not the whole
//! photo. The report prints the SHA-256 of the original, never of the thumbnail.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, ImageReader, Limits};

/// The long side of a thumbnail, in pixels (about 170 dpi across a page's width).
pub const LONG_SIDE: u32 = 1024;
/// Photos with more pixels than this are not decoded (25 megapixels: a 6000 x 4000
/// camera frame; phones write 12 MP by default).
pub const MAX_PIXELS: u64 = 25_000_000;
/// The most the decoder may allocate (an 8-bit RGBA frame of [`MAX_PIXELS`] fits; a
/// 16-bit one does not, and is refused like a larger photo).
pub const MAX_DECODE_BYTES: u64 = 4 * MAX_PIXELS + 4 * 1024 * 1024;
const QUALITY: u8 = 80;

/// Why a photo has no thumbnail (the report says so beside its hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoThumbnail {
    /// Not a JPEG or PNG this decoder reads, or damaged.
    NotAnImage,
    /// More pixels (or decoding memory) than the limits allow: not decoded.
    TooLarge { width: u32, height: u32 },
}

impl NoThumbnail {
    /// The note printed in the report.
    pub fn note(&self) -> String {
        match self {
            NoThumbnail::NotAnImage => {
                "no thumbnail: not an image this report can show, or not downloaded".into()
            }
            NoThumbnail::TooLarge { width, height } => format!(
                "no thumbnail: {width} x {height} pixels is more than this report decodes \
                 ({} megapixels)",
                MAX_PIXELS / 1_000_000
            ),
        }
    }
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, NoThumbnail> {
    let r = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| NoThumbnail::NotAnImage)?;
    match r.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png) => Ok(r),
        _ => Err(NoThumbnail::NotAnImage),
    }
}

/// The JPEG thumbnail of a JPEG or PNG photo.
pub fn make(bytes: &[u8]) -> Result<Vec<u8>, NoThumbnail> {
    // The header first: a photo over the limit is refused before any pixel is decoded.
    let (width, height) = reader(bytes)?
        .into_dimensions()
        .map_err(|_| NoThumbnail::NotAnImage)?;
    let too_large = NoThumbnail::TooLarge { width, height };
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(too_large);
    }
    let mut r = reader(bytes)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    r.limits(limits);
    let image = r.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => too_large,
        _ => NoThumbnail::NotAnImage,
    })?;
    let small = if width.max(height) > LONG_SIDE {
        image.thumbnail(LONG_SIDE, LONG_SIDE)
    } else {
        image
    };
    let rgb = small.to_rgb8();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(&rgb)
        .map_err(|_| NoThumbnail::NotAnImage)?;
    Ok(out)
}
