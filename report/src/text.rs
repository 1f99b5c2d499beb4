//! Text: parley lays it out (shaping, bidi, line breaking, per-glyph fallback through
//! every given font, in order); [`draw_line`] draws one laid-out line's glyph runs with
//! krilla, which embeds and subsets the fonts and maps glyphs back to text (so the PDF's
//! text can be searched, copied and extracted).

use std::borrow::Cow;
use std::collections::HashMap;

use krilla::color::rgb;
use krilla::geom::Point;
use krilla::num::NormalizedF32;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use parley::fontique::Blob;
use parley::{
    Alignment, AlignmentOptions, FontContext, FontFamily, FontFamilyName, FontWeight, Layout,
    LayoutContext, LineHeight, OverflowWrap, PositionedLayoutItem, StyleProperty,
};

use super::{Fonts, ReportError};

/// A text colour (RGB), parley's brush.
pub(crate) type Brush = [u8; 3];

pub(crate) const INK: Brush = [0x1a, 0x1a, 0x1a];
pub(crate) const MUTED: Brush = [0x55, 0x5b, 0x66];
pub(crate) const ALERT: Brush = [0xa3, 0x12, 0x12];
pub(crate) const OK: Brush = [0x17, 0x6b, 0x2c];

#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub size: f32,
    pub bold: bool,
    pub color: Brush,
}

pub(crate) struct Typesetter {
    fcx: FontContext,
    lcx: LayoutContext<Brush>,
    families: Vec<String>,
    krilla: HashMap<(u64, u32), Font>,
}

impl Typesetter {
    pub fn new(fonts: &Fonts) -> Result<Typesetter, ReportError> {
        let mut fcx = FontContext::default();
        let mut families: Vec<String> = Vec::new();
        for file in &fonts.files {
            for (id, _) in fcx.collection.register_fonts(Blob::new(file.clone()), None) {
                if let Some(name) = fcx.collection.family_name(id) {
                    if !families.iter().any(|f| f == name) {
                        families.push(name.to_string());
                    }
                }
            }
        }
        if families.is_empty() {
            return Err(ReportError::NoFonts);
        }
        Ok(Typesetter {
            fcx,
            lcx: LayoutContext::new(),
            families,
            krilla: HashMap::new(),
        })
    }

    /// `text` laid out in lines at most `width` points wide.
    pub fn layout(&mut self, text: &str, style: Style, width: f32) -> Layout<Brush> {
        let stack: Vec<FontFamilyName<'static>> = self
            .families
            .iter()
            .map(|n| FontFamilyName::Named(Cow::Owned(n.clone())))
            .collect();
        let mut b = self.lcx.ranged_builder(&mut self.fcx, text, 1.0, false);
        b.push_default(StyleProperty::FontFamily(FontFamily::List(Cow::Owned(
            stack,
        ))));
        b.push_default(StyleProperty::FontSize(style.size));
        b.push_default(StyleProperty::LineHeight(LineHeight::FontSizeRelative(
            1.35,
        )));
        b.push_default(StyleProperty::Brush(style.color));
        // A hash or key (no break opportunity) wraps rather than runs off the page.
        b.push_default(StyleProperty::OverflowWrap(OverflowWrap::Anywhere));
        if style.bold {
            b.push_default(StyleProperty::FontWeight(FontWeight::BOLD));
        }
        let mut layout = b.build(text);
        layout.break_all_lines(Some(width));
        layout.align(Alignment::Start, AlignmentOptions::default());
        layout
    }

    fn krilla_font(&mut self, data: &Blob<u8>, index: u32) -> Option<Font> {
        if let Some(f) = self.krilla.get(&(data.id(), index)) {
            return Some(f.clone());
        }
        let font = Font::new(data.data().to_vec().into(), index)?;
        self.krilla.insert((data.id(), index), font.clone());
        Some(font)
    }
}

/// Draws line `index` of `layout` (of `text`) with its top-left corner at `(x, top)`.
pub(crate) fn draw_line(
    ts: &mut Typesetter,
    surface: &mut Surface<'_>,
    layout: &Layout<Brush>,
    text: &str,
    index: usize,
    x: f32,
    top: f32,
) {
    let Some(line) = layout.get(index) else {
        return;
    };
    let line_top = line.metrics().block_min_coord;
    for item in line.items() {
        let PositionedLayoutItem::GlyphRun(glyph_run) = item else {
            continue;
        };
        let run = glyph_run.run();
        let size = run.font_size();
        let font_data = run.font();
        let Some(font) = ts.krilla_font(&font_data.data, font_data.index) else {
            continue;
        };
        let color = glyph_run.style().brush;
        let mut start = glyph_run.offset();
        let mut glyphs: Vec<KrillaGlyph> = Vec::new();
        for cluster in run.visual_clusters() {
            if cluster.is_ligature_continuation() {
                if let Some(g) = glyphs.last_mut() {
                    g.text_range.end = g.text_range.end.max(cluster.text_range().end);
                }
                continue;
            }
            for g in cluster.glyphs() {
                if g.id == 0 {
                    // No font has this character: leave its space, draw nothing (PDF/A
                    // forbids the .notdef glyph).
                    match glyphs.last_mut() {
                        Some(last) => last.x_advance += g.advance / size,
                        None => start += g.advance,
                    }
                    continue;
                }
                glyphs.push(KrillaGlyph::new(
                    GlyphId::new(g.id),
                    g.advance / size,
                    g.x / size,
                    g.y / size,
                    0.0,
                    cluster.text_range(),
                    None,
                ));
            }
        }
        if glyphs.is_empty() {
            continue;
        }
        surface.set_fill(Some(Fill {
            paint: rgb::Color::new(color[0], color[1], color[2]).into(),
            opacity: NormalizedF32::ONE,
            rule: Default::default(),
        }));
        let baseline = top + (glyph_run.baseline() - line_top);
        surface.draw_glyphs(
            Point::from_xy(x + start, baseline),
            &glyphs,
            font,
            text,
            size,
            false,
        );
    }
}
