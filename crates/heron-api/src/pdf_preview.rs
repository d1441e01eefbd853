//! Previews of PDF attachments, rendered by Rust into PNG pages (hayro: a pure-Rust
//! rasteriser that forbids unsafe code), so the preview frame shows only images: no PDF
//! viewer with scripting, no plug-in, nothing from the PDF runs.

use std::panic::{AssertUnwindSafe, catch_unwind};

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};

/// Pages shown in a preview; the rest are for the PDF program.
pub const MAX_PAGES: usize = 30;
/// PDFs larger than this are not previewed.
pub const MAX_PDF_BYTES: usize = 30 * 1024 * 1024;
/// The width pages are rendered at, pixels.
const PAGE_WIDTH: f32 = 1100.0;
/// No page is rendered taller than this (a hostile page size cannot exhaust memory).
const MAX_PAGE_HEIGHT: f32 = 4000.0;

/// How many pages the PDF has; `None` when it cannot be read.
pub fn page_count(bytes: &[u8]) -> Option<usize> {
    if bytes.len() > MAX_PDF_BYTES {
        return None;
    }
    catch_unwind(AssertUnwindSafe(|| {
        Pdf::new(bytes.to_vec()).ok().map(|pdf| pdf.pages().len())
    }))
    .ok()
    .flatten()
}

/// Page `index` (from 0) as a PNG; `None` when it cannot be rendered.
pub fn page_png(bytes: &[u8], index: usize) -> Option<Vec<u8>> {
    if bytes.len() > MAX_PDF_BYTES || index >= MAX_PAGES {
        return None;
    }
    catch_unwind(AssertUnwindSafe(|| {
        let pdf = Pdf::new(bytes.to_vec()).ok()?;
        let page = pdf.pages().get(index)?;
        let (width, height) = page.render_dimensions();
        if !(width.is_finite() && height.is_finite() && width > 0.0 && height > 0.0) {
            return None;
        }
        let scale = (PAGE_WIDTH / width).min(MAX_PAGE_HEIGHT / height);
        let cache = RenderCache::new();
        let pixmap = hayro::render(
            page,
            &cache,
            &InterpreterSettings::default(),
            &RenderSettings::default(),
            &PixmapSettings {
                x_scale: scale,
                y_scale: scale,
                bg_color: WHITE,
            },
        );
        pixmap.into_png().ok()
    }))
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_pdf_is_not_previewed() {
        assert_eq!(page_count(b"not a pdf"), None);
        assert_eq!(page_png(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF", 0), None);
        assert_eq!(page_png(&vec![0u8; MAX_PDF_BYTES + 1], 0), None);
    }

    #[test]
    fn a_page_beyond_the_preview_is_not_rendered() {
        assert_eq!(page_png(b"%PDF-1.4", MAX_PAGES), None);
    }
}
