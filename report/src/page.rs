//! A report as pages: a cursor flows text line by line down A4 pages (a long narrative
//! continues on the next page), every page gets the running header and the footer
//! ("page n of m", the proof's hash), and the whole is written as PDF/A-3b by krilla,
//! with the proof embedded as an associated file.

use std::rc::Rc;

use chrono::{DateTime, Datelike, Timelike, Utc};
use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::geom::{PathBuilder, Rect, Size};
use krilla::image::Image;
use krilla::metadata::{DateTime as PdfDate, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::{Document, SerializeSettings};
use parley::Layout;

use super::text::{draw_line, Brush, Style, Typesetter, INK, MUTED};
use super::{Fonts, Relationship, ReportError};

pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const MARGIN: f32 = 54.0;
const TOP: f32 = 66.0;
const BOTTOM: f32 = PAGE_H - 74.0;
pub(crate) const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;
/// Width of the label column of a field row.
const LABEL_W: f32 = 138.0;

pub(crate) const BODY: Style = Style {
    size: 10.0,
    bold: false,
    color: INK,
};
pub(crate) const LABEL: Style = Style {
    size: 9.0,
    bold: true,
    color: MUTED,
};
pub(crate) const SMALL: Style = Style {
    size: 8.0,
    bold: false,
    color: MUTED,
};

enum Op {
    Line {
        text: Rc<str>,
        layout: Rc<Layout<Brush>>,
        index: usize,
        x: f32,
        top: f32,
    },
    Rect {
        x: f32,
        top: f32,
        w: f32,
        h: f32,
        color: Brush,
    },
    Image {
        image: Image,
        x: f32,
        top: f32,
        w: f32,
        h: f32,
    },
}

/// The proof embedded in the PDF.
pub(crate) struct Attachment {
    pub name: String,
    pub mime: String,
    pub description: String,
    pub relationship: Relationship,
    pub data: Vec<u8>,
}

pub(crate) struct Doc {
    ts: Typesetter,
    pages: Vec<Vec<Op>>,
    y: f32,
    /// Running header (left) of every page.
    pub running_title: String,
    /// Footer lines under "page n of m".
    pub footer: Vec<String>,
}

impl Doc {
    pub fn new(fonts: &Fonts, running_title: String) -> Result<Doc, ReportError> {
        Ok(Doc {
            ts: Typesetter::new(fonts)?,
            pages: vec![Vec::new()],
            y: TOP,
            running_title,
            footer: Vec::new(),
        })
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `h` points fit on this one.
    pub fn keep(&mut self, h: f32) {
        if self.y + h > BOTTOM {
            self.new_page();
        }
    }

    pub fn space(&mut self, h: f32) {
        self.y += h;
    }

    /// A paragraph at `indent` from the left margin, flowing over pages.
    pub fn text(&mut self, s: &str, style: Style, indent: f32) {
        let text: Rc<str> = Rc::from(s);
        let layout = Rc::new(self.ts.layout(s, style, WIDTH - indent));
        for index in 0..layout.len() {
            let Some(line) = layout.get(index) else {
                continue;
            };
            let m = line.metrics();
            let h = m.block_max_coord - m.block_min_coord;
            self.keep(h);
            let top = self.y;
            self.ops().push(Op::Line {
                text: text.clone(),
                layout: layout.clone(),
                index,
                x: MARGIN + indent,
                top,
            });
            self.y += h;
        }
    }

    /// A label and its value side by side; a long value flows over pages, row by row.
    pub fn field(&mut self, label: &str, value: &str) {
        self.field_in(label, value, BODY);
    }

    /// A field whose value is a hash, key or signature: smaller, so 64 hex digits fit on
    /// one line (longer ones wrap).
    pub fn hash_field(&mut self, label: &str, value: &str) {
        self.field_in(label, value, Style { size: 8.5, ..BODY });
    }

    fn field_in(&mut self, label: &str, value: &str, style: Style) {
        let value = if value.is_empty() { "—" } else { value };
        let lt: Rc<str> = Rc::from(label);
        let vt: Rc<str> = Rc::from(value);
        let ll = Rc::new(self.ts.layout(label, LABEL, LABEL_W - 8.0));
        let vl = Rc::new(self.ts.layout(value, style, WIDTH - LABEL_W));
        let rows = ll.len().max(vl.len());
        for i in 0..rows {
            let height = |l: &Layout<Brush>| {
                l.get(i)
                    .map(|line| line.metrics().block_max_coord - line.metrics().block_min_coord)
                    .unwrap_or(0.0)
            };
            let h = height(&ll).max(height(&vl));
            self.keep(h);
            let top = self.y;
            // The label's smaller type sits on the value's baseline, near enough: offset
            // it by the difference of their line heights.
            let shift = (height(&vl) - height(&ll)).max(0.0) * 0.6;
            if i < ll.len() {
                self.ops().push(Op::Line {
                    text: lt.clone(),
                    layout: ll.clone(),
                    index: i,
                    x: MARGIN,
                    top: top + shift,
                });
            }
            if i < vl.len() {
                self.ops().push(Op::Line {
                    text: vt.clone(),
                    layout: vl.clone(),
                    index: i,
                    x: MARGIN + LABEL_W,
                    top,
                });
            }
            self.y += h;
        }
        self.y += 2.0;
    }

    /// A section heading with a rule under it, kept with what follows.
    pub fn heading(&mut self, s: &str, size: f32) {
        self.keep(size * 4.5);
        self.space(size * 0.6);
        self.text(
            s,
            Style {
                size,
                bold: true,
                color: INK,
            },
            0.0,
        );
        self.rule(0.8, INK);
        self.space(4.0);
    }

    pub fn rule(&mut self, thickness: f32, color: Brush) {
        let top = self.y + 1.0;
        self.ops().push(Op::Rect {
            x: MARGIN,
            top,
            w: WIDTH,
            h: thickness,
            color,
        });
        self.y += thickness + 3.0;
    }

    /// An image `w` points wide (height from its aspect ratio, at most `max_h`), at
    /// `indent`; returns false (nothing drawn) when the bytes are not a JPEG or PNG.
    pub fn image(&mut self, bytes: &[u8], indent: f32, w: f32, max_h: f32) -> bool {
        let data: krilla::Data = bytes.to_vec().into();
        let image = Image::from_jpeg(data.clone(), false).or_else(|_| Image::from_png(data, false));
        let Ok(image) = image else {
            return false;
        };
        let (iw, ih) = image.size();
        if iw == 0 || ih == 0 {
            return false;
        }
        let mut w = w;
        let mut h = w * ih as f32 / iw as f32;
        if h > max_h {
            w *= max_h / h;
            h = max_h;
        }
        self.keep(h + 4.0);
        let top = self.y;
        self.ops().push(Op::Image {
            image,
            x: MARGIN + indent,
            top,
            w,
            h,
        });
        self.y += h + 4.0;
        true
    }

    /// Writes the PDF/A-3b file: every page with header and footer, the metadata, and
    /// `attachment` as an associated file of the document.
    pub fn finish(
        mut self,
        title: &str,
        created: DateTime<Utc>,
        attachment: Option<Attachment>,
    ) -> Result<Vec<u8>, ReportError> {
        let config = ConfigurationBuilder::new()
            .with_archival_validator(Archival::A3_B)
            .finish()
            .map_err(|e| ReportError::Pdf(format!("{e:?}")))?;
        let mut doc = Document::new_with(SerializeSettings {
            configuration: config,
            ..SerializeSettings::default()
        });
        let date = PdfDate::new(created.year() as u16)
            .month(created.month() as u8)
            .day(created.day() as u8)
            .hour(created.hour() as u8)
            .minute(created.minute() as u8)
            .second(created.second() as u8)
            .utc_offset_hour(0)
            .utc_offset_minute(0);
        doc.set_metadata(
            Metadata::new()
                .title(title.to_string())
                .creator("Vigil".to_string())
                .producer("Vigil (krilla)".to_string())
                .language("en".to_string())
                .creation_date(date),
        );
        if let Some(a) = attachment {
            let mime = MimeType::new(&a.mime).ok_or(ReportError::Pdf("mime type".into()))?;
            doc.embed_file(EmbeddedFile {
                path: a.name,
                mime_type: Some(mime),
                description: Some(a.description),
                association_kind: match a.relationship {
                    Relationship::Source => AssociationKind::Source,
                    Relationship::Data => AssociationKind::Data,
                    Relationship::Alternative => AssociationKind::Alternative,
                    Relationship::Supplement => AssociationKind::Supplement,
                },
                data: a.data.into(),
                modification_date: Some(date),
                compress: Some(true),
                location: None,
            })
            .ok_or(ReportError::Pdf("the proof could not be embedded".into()))?;
        }
        let total = self.pages.len();
        let pages = std::mem::take(&mut self.pages);
        for (n, ops) in pages.into_iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
                .ok_or(ReportError::Pdf("page size".into()))?;
            let mut page = doc.start_page_with(settings);
            let mut surface = page.surface();
            // Running header and footer, laid out per page.
            let mut chrome: Vec<(Rc<str>, Layout<Brush>, f32, f32)> = Vec::new();
            let head: Rc<str> = Rc::from(self.running_title.as_str());
            chrome.push((
                head.clone(),
                self.ts.layout(&head, SMALL, WIDTH),
                MARGIN,
                30.0,
            ));
            let mut foot = format!("Page {} of {}", n + 1, total);
            for l in &self.footer {
                foot.push('\n');
                foot.push_str(l);
            }
            let foot: Rc<str> = Rc::from(foot.as_str());
            chrome.push((
                foot.clone(),
                self.ts.layout(&foot, SMALL, WIDTH),
                MARGIN,
                BOTTOM + 18.0,
            ));
            fill_rect(&mut surface, MARGIN, 44.0, WIDTH, 0.5, MUTED);
            fill_rect(&mut surface, MARGIN, BOTTOM + 12.0, WIDTH, 0.5, MUTED);
            for (text, layout, x, top) in &chrome {
                let mut y = *top;
                for i in 0..layout.len() {
                    draw_line(&mut self.ts, &mut surface, layout, text, i, *x, y);
                    if let Some(line) = layout.get(i) {
                        y += line.metrics().block_max_coord - line.metrics().block_min_coord;
                    }
                }
            }
            for op in ops {
                match op {
                    Op::Line {
                        text,
                        layout,
                        index,
                        x,
                        top,
                    } => draw_line(&mut self.ts, &mut surface, &layout, &text, index, x, top),
                    Op::Rect {
                        x,
                        top,
                        w,
                        h,
                        color,
                    } => fill_rect(&mut surface, x, top, w, h, color),
                    Op::Image {
                        image,
                        x,
                        top,
                        w,
                        h,
                    } => {
                        if let Some(size) = Size::from_wh(w, h) {
                            surface
                                .push_transform(&krilla::geom::Transform::from_translate(x, top));
                            surface.draw_image(image, size);
                            surface.pop();
                        }
                    }
                }
            }
            surface.finish();
            page.finish();
        }
        doc.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
    }
}

fn fill_rect(
    surface: &mut krilla::surface::Surface<'_>,
    x: f32,
    top: f32,
    w: f32,
    h: f32,
    color: Brush,
) {
    let Some(rect) = Rect::from_xywh(x, top, w, h) else {
        return;
    };
    let mut pb = PathBuilder::new();
    pb.push_rect(rect);
    let Some(path) = pb.finish() else { return };
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(color[0], color[1], color[2]).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }));
    surface.draw_path(&path);
}
