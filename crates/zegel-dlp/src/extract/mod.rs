//! Attachment extraction: file bytes in, text parts out, within hard limits.
//!
//! [`extract()`](crate::extract::extract) detects the format by magic bytes first and the file name second, and turns PDF, DOCX,
//! XLSX, PPTX, ODT/ODS/ODP, HTML, plain text/CSV and EML (with its attachments) into text; ZIP archives
//! (and attachments of mails) are opened recursively. Every part that cannot be read — encrypted, malformed,
//! of an unsupported binary format, or over a [`Limits`](crate::extract::Limits) bound — becomes a [`Problem`](crate::extract::Problem), which
//! [`crate::Scanner::scan_attachment`] reports as an `unscannable` finding. Nothing here panics on hostile
//! input: each extractor runs under `catch_unwind`, declared sizes are never trusted (every read goes
//! through a running byte budget), and the XLSX reader never allocates by a sheet's declared dimension.
//!
//! PDF pages and OCR come through the [`Readers`](crate::extract::Readers) trait, so the server can run the PDF library, the
//! rasteriser and Tesseract in crash-isolated child processes (calling [`pdf_pages_in_process`](crate::extract::pdf_pages_in_process) there);
//! [`InProcess`](crate::extract::InProcess) is the simple in-process choice without OCR.
//!
//! Pictures are never passed as clean: an image attachment, and a PDF page that draws images but carries
//! (almost) no text, is read by OCR or reported as unscannable (OCR off, over the page budget, unreadable).
//! Findings in a PDF name their page.

/// ZIP archives: bounded reads and recursion.
mod archive;
/// E-mail messages (EML) and their attachments.
mod mail;
/// HTML and plain-text decoding.
mod markup;
/// OOXML (DOCX, XLSX, PPTX) and ODF text.
mod office;
/// PDF text, with the structure checks the PDF library lacks.
mod pdf;
/// Recognising a file's format.
mod sniff;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use crate::{Finding, Findings, Location, Scanner};

/// Bounds on the work one attachment may cause. Whatever goes over a bound is reported as unscannable.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Total uncompressed bytes read across the file and everything inside it.
    pub max_bytes_read: u64,
    /// Total archive entries (ZIP, OOXML and ODF containers) across everything.
    pub max_entries: usize,
    /// How deep archives and attached mails may nest (the attachment itself is depth 0).
    pub max_depth: usize,
    /// Chars of extracted text kept across all parts; the rest is not scanned.
    pub max_text: usize,
    /// Stop extracting at this moment.
    pub deadline: Option<Instant>,
    /// Spreadsheet cells read across all sheets.
    pub max_sheet_cells: u64,
    /// Highest uncompressed/compressed ratio of an archive entry once it is over 1 MiB (zip bombs).
    pub max_ratio: u64,
    /// Pages (images and scanned PDF pages) OCR may read; the rest are unscannable.
    pub max_ocr_pages: usize,
    /// The largest picture OCR is given, in pixels (width times height, as its header declares).
    pub max_image_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes_read: 64 << 20,
            max_entries: 10_000,
            max_depth: 5,
            max_text: 16 << 20,
            deadline: None,
            max_sheet_cells: 2_000_000,
            max_ratio: 250,
            max_ocr_pages: 10,
            max_image_pixels: 60_000_000,
        }
    }
}

/// One page of a PDF as the PDF library reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PdfPage {
    /// The page's text.
    pub text: String,
    /// Whether the page draws images (directly, inline or inside forms).
    pub images: bool,
}

/// What OCR is asked to read.
#[derive(Clone, Copy, Debug)]
pub enum OcrInput<'a> {
    /// A picture file (JPEG, PNG, GIF, TIFF, BMP, WebP).
    Image(&'a [u8]),
    /// One page of a PDF, numbered from 1, to be rasterised first.
    PdfPage {
        /// The whole PDF.
        pdf: &'a [u8],
        /// The page number.
        page: u32,
    },
}

/// The readers extraction hands files to that need more than Rust parsing: the PDF library and OCR.
/// The server implements them with crash-isolated, resource-limited child processes.
pub trait Readers {
    /// Each page of a PDF, or why the PDF could not be read.
    fn pdf_pages(&self, bytes: &[u8]) -> Result<Vec<PdfPage>, String>;
    /// The text OCR reads in `input`, or why it could not; `None` when this reader has no OCR.
    fn ocr(&self, input: OcrInput<'_>) -> Option<Result<String, String>>;
}

/// Reads PDFs in this process (see [`pdf_pages_in_process`]) and has no OCR: pictures are unscannable.
#[derive(Clone, Copy, Debug, Default)]
pub struct InProcess;

impl Readers for InProcess {
    fn pdf_pages(&self, bytes: &[u8]) -> Result<Vec<PdfPage>, String> {
        pdf_pages_in_process(bytes)
    }

    fn ocr(&self, _: OcrInput<'_>) -> Option<Result<String, String>> {
        None
    }
}

/// The pages of a PDF, read in this process with the panic of a malformed file caught.
///
/// Page-tree and form cycles, which would overflow the stack in the PDF library, are refused before it
/// runs. `catch_unwind` still cannot stop a library that loops or allocates without bound on some other
/// hostile input, so the server calls this from a child process with CPU and memory rlimits.
pub fn pdf_pages_in_process(bytes: &[u8]) -> Result<Vec<PdfPage>, String> {
    match catch_unwind(|| pdf::pages(bytes)) {
        Ok(result) => result,
        Err(_) => Err("the PDF library failed on this file".into()),
    }
}

/// A picture narrower or lower than this many pixels holds no line of text (a tracking pixel, a rule).
const TEXTLESS_IMAGE_SIDE: usize = 12;
/// A picture of fewer pixels than this (64 x 64) holds no readable number (an icon, a bullet).
const TEXTLESS_IMAGE_PIXELS: u64 = 4_096;

/// Fewer letters and digits than this on a page that draws images make it a scan, which OCR reads.
pub const SCANNED_PAGE_TEXT: usize = 40;

/// The text of one part of an attachment: the file itself, or something inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// Path inside archives and mails, outermost first; empty for the attachment itself.
    pub path: Vec<String>,
    /// The PDF page the text is on, numbered from 1.
    pub page: Option<u32>,
    /// The extracted text; finding offsets refer to it.
    pub text: String,
}

/// A part that could not be (fully) read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Path inside archives and mails, outermost first; empty for the attachment itself.
    pub path: Vec<String>,
    /// The PDF page, numbered from 1, when the problem is one page's.
    pub page: Option<u32>,
    /// Why, e.g. "encrypted archive".
    pub reason: String,
}

/// Everything extracted from one attachment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extraction {
    /// Text parts, in the order they were found.
    pub parts: Vec<Part>,
    /// Parts that could not be read.
    pub problems: Vec<Problem>,
    /// Pages OCR read (or tried to), charged to [`Limits::max_ocr_pages`].
    pub ocr_pages: usize,
}

/// Extracts the text of an attachment named `name`. Never panics; see the module docs.
pub fn extract(name: &str, bytes: &[u8], limits: &Limits, readers: &dyn Readers) -> Extraction {
    let mut ctx = Ctx {
        limits,
        readers,
        bytes_read: bytes.len() as u64,
        entries: 0,
        text_left: limits.max_text,
        cells: 0,
        stopped: false,
        out: Extraction::default(),
    };
    if ctx.bytes_read > limits.max_bytes_read {
        ctx.problem(
            &[],
            format!(
                "file larger than the limit of {} bytes",
                limits.max_bytes_read
            ),
        );
    } else {
        ctx.file(name, bytes, &[], 0);
    }
    ctx.out
}

impl Scanner {
    /// Extracts an attachment and scans every part of it. Never panics, never fails: what cannot be read
    /// becomes an `unscannable` finding with a reason. Offsets refer to the extracted text of each part.
    pub fn scan_attachment(
        &self,
        name: &str,
        bytes: &[u8],
        limits: &Limits,
        readers: &dyn Readers,
    ) -> Vec<Finding> {
        let extraction = extract(name, bytes, limits, readers);
        let mut findings = Vec::new();
        for part in &extraction.parts {
            findings.extend(self.scan_text(&part.text, location(name, part)));
        }
        for p in &extraction.problems {
            findings.push(Finding::unscannable(location(name, p), p.reason.clone()));
        }
        findings
    }

    /// [`Scanner::scan_attachment`] into a bounded [`Findings`] (see [`Scanner::scan_text_into`]).
    /// Returns the pages OCR read, for a budget across attachments.
    pub fn scan_attachment_into(
        &self,
        name: &str,
        bytes: &[u8],
        limits: &Limits,
        readers: &dyn Readers,
        out: &mut Findings,
    ) -> usize {
        let extraction = extract(name, bytes, limits, readers);
        for part in &extraction.parts {
            self.scan_text_into(&part.text, &location(name, part), out);
        }
        for p in &extraction.problems {
            out.push(Finding::unscannable(location(name, p), p.reason.clone()));
        }
        extraction.ocr_pages
    }
}

/// Where a part or problem of the attachment `name` is.
fn location(name: &str, at: &impl Placed) -> Location {
    Location::Attachment {
        name: name.to_owned(),
        path: at.path().to_vec(),
        page: at.page(),
    }
}

/// A part or a problem: somewhere in an attachment.
trait Placed {
    fn path(&self) -> &[String];
    fn page(&self) -> Option<u32>;
}

impl Placed for Part {
    fn path(&self) -> &[String] {
        &self.path
    }
    fn page(&self) -> Option<u32> {
        self.page
    }
}

impl Placed for Problem {
    fn path(&self) -> &[String] {
        &self.path
    }
    fn page(&self) -> Option<u32> {
        self.page
    }
}

/// Text collected for one part, bounded by the chars left in the budget.
pub(crate) struct TextBuf {
    text: String,
    room: usize,
    truncated: bool,
}

impl TextBuf {
    fn new(room: usize) -> Self {
        TextBuf {
            text: String::new(),
            room,
            truncated: false,
        }
    }

    /// Appends `s`, or as much of it as fits.
    pub(crate) fn push(&mut self, s: &str) {
        if self.truncated || s.is_empty() {
            return;
        }
        let chars = s.chars().count();
        if chars <= self.room {
            self.text.push_str(s);
            self.room -= chars;
        } else {
            let cut = s.char_indices().nth(self.room).map_or(s.len(), |(i, _)| i);
            self.text.push_str(&s[..cut]);
            self.room = 0;
            self.truncated = true;
        }
    }

    /// Appends one char.
    pub(crate) fn push_char(&mut self, c: char) {
        self.push(c.encode_utf8(&mut [0; 4]));
    }

    /// Ends the current line unless the text is empty or already ends with one.
    pub(crate) fn newline(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.push_char('\n');
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.truncated
    }
}

/// The running state of one extraction: budgets, results and whether a global limit stopped it.
pub(crate) struct Ctx<'a> {
    limits: &'a Limits,
    readers: &'a dyn Readers,
    bytes_read: u64,
    entries: usize,
    text_left: usize,
    cells: u64,
    stopped: bool,
    out: Extraction,
}

/// Makes a child path.
pub(crate) fn child(path: &[String], name: &str) -> Vec<String> {
    let mut p = path.to_vec();
    p.push(name.to_owned());
    p
}

impl Ctx<'_> {
    /// Records a part that could not be read. After a global stop nothing more is recorded: the stop's own
    /// problem covers everything after it.
    pub(crate) fn problem(&mut self, path: &[String], reason: impl Into<String>) {
        self.page_problem(path, None, reason);
    }

    /// Records a problem of one PDF page.
    fn page_problem(&mut self, path: &[String], page: Option<u32>, reason: impl Into<String>) {
        if self.stopped {
            return;
        }
        self.out.problems.push(Problem {
            path: path.to_vec(),
            page,
            reason: reason.into(),
        });
    }

    /// Records a limit that ends the whole extraction (time, bytes): nothing after it is read.
    pub(crate) fn stop(&mut self, path: &[String], reason: impl Into<String>) {
        self.problem(path, reason);
        self.stopped = true;
    }

    pub(crate) fn out_of_time(&self) -> bool {
        self.limits.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// A fresh text buffer with the chars left in the budget.
    pub(crate) fn text_buf(&self) -> TextBuf {
        TextBuf::new(self.text_left)
    }

    /// Keeps a part's text and charges it to the budget.
    pub(crate) fn finish(&mut self, path: &[String], buf: TextBuf) {
        self.finish_page(path, None, buf);
    }

    /// Keeps the text of one PDF page.
    fn finish_page(&mut self, path: &[String], page: Option<u32>, buf: TextBuf) {
        self.text_left = buf.room;
        if buf.truncated {
            self.problem(
                path,
                format!(
                    "text limit of {} chars reached; the rest was not scanned",
                    self.limits.max_text
                ),
            );
        }
        if !buf.text.trim().is_empty() {
            self.out.parts.push(Part {
                path: path.to_vec(),
                page,
                text: buf.text,
            });
        }
    }

    /// Charges `n` archive entries; false (with a problem) when over the limit.
    pub(crate) fn charge_entries(&mut self, path: &[String], n: usize) -> bool {
        self.entries = self.entries.saturating_add(n);
        if self.entries > self.limits.max_entries {
            self.problem(
                path,
                format!(
                    "too many archive entries (more than {})",
                    self.limits.max_entries
                ),
            );
            return false;
        }
        true
    }

    /// Charges `n` spreadsheet cells; false when over the limit.
    pub(crate) fn charge_cells(&mut self, n: u64) -> bool {
        self.cells = self.cells.saturating_add(n);
        self.cells <= self.limits.max_sheet_cells
    }

    /// Extracts one file (the attachment or something inside it) at `path`, `depth` levels deep.
    pub(crate) fn file(&mut self, name: &str, bytes: &[u8], path: &[String], depth: usize) {
        if self.stopped {
            return;
        }
        if self.out_of_time() {
            self.stop(
                path,
                "deadline exceeded before the attachment was fully scanned",
            );
            return;
        }
        if depth > self.limits.max_depth {
            self.problem(
                path,
                format!(
                    "nested too deep (more than {} levels)",
                    self.limits.max_depth
                ),
            );
            return;
        }
        match catch_unwind(AssertUnwindSafe(|| self.dispatch(name, bytes, path, depth))) {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => self.problem(path, reason),
            Err(_) => self.problem(path, "malformed file (the extractor failed on it)"),
        }
    }

    fn dispatch(
        &mut self,
        name: &str,
        bytes: &[u8],
        path: &[String],
        depth: usize,
    ) -> Result<(), String> {
        use sniff::Format;
        match sniff::sniff(name, bytes) {
            Format::Pdf => self.pdf(bytes, path),
            Format::Zip => archive::container(self, bytes, path, depth),
            Format::Cfb => Err(sniff::cfb_reason(bytes).into()),
            Format::Eml => mail::message(self, bytes, path, depth),
            Format::Html => {
                let mut buf = self.text_buf();
                markup::html_to_text(&markup::decode_text(bytes), &mut buf);
                self.finish(path, buf);
                Ok(())
            }
            Format::Text => {
                let mut buf = self.text_buf();
                buf.push(&markup::decode_text(bytes));
                self.finish(path, buf);
                Ok(())
            }
            Format::Image(image) => self.image(image, bytes, path),
            Format::Media => Ok(()),
            Format::Unsupported(what) => Err(format!("unsupported format: {what}")),
        }
    }

    fn pdf(&mut self, bytes: &[u8], path: &[String]) -> Result<(), String> {
        let encrypted = memchr::memmem::find(bytes, b"/Encrypt").is_some();
        let pages = match self.readers.pdf_pages(bytes) {
            Ok(pages) => pages,
            Err(e) if encrypted || e == "encrypted PDF" => return Err("encrypted PDF".into()),
            Err(e) => return Err(format!("malformed PDF: {e}")),
        };
        let mut read = false;
        let mut scanned = false;
        for (number, page) in (1u32..).zip(pages) {
            if self.stopped {
                break;
            }
            let mut text = page.text;
            if page.images && meaningful_chars(&text) < SCANNED_PAGE_TEXT {
                scanned = true;
                match self.ocr(
                    OcrInput::PdfPage {
                        pdf: bytes,
                        page: number,
                    },
                    "scanned page",
                ) {
                    Ok(ocr) => {
                        text.push('\n');
                        text.push_str(&ocr);
                    }
                    Err(reason) => self.page_problem(path, Some(number), reason),
                }
            }
            if !text.trim().is_empty() {
                read = true;
                let mut buf = self.text_buf();
                buf.push(&text);
                self.finish_page(path, Some(number), buf);
            }
        }
        if !read && !scanned {
            return Err(if encrypted {
                "encrypted PDF"
            } else {
                "PDF without extractable text or images"
            }
            .into());
        }
        Ok(())
    }

    /// A picture: read by OCR when its declared size is within the limit, else unscannable.
    fn image(&mut self, image: sniff::Image, bytes: &[u8], path: &[String]) -> Result<(), String> {
        let name = image.name();
        if image == sniff::Image::Heif {
            return Err(format!("{name} image: no decoder to read its text"));
        }
        let size = imagesize::blob_size(bytes)
            .map_err(|_| format!("{name} image with a broken header"))?;
        let pixels = (size.width as u64).saturating_mul(size.height as u64);
        if size.width.min(size.height) < TEXTLESS_IMAGE_SIDE || pixels < TEXTLESS_IMAGE_PIXELS {
            // A tracking pixel, an icon, a rule: too small for a line of text.
            return Ok(());
        }
        if pixels > self.limits.max_image_pixels {
            return Err(format!(
                "{name} image of {} x {} pixels is larger than the {} megapixels OCR reads",
                size.width,
                size.height,
                self.limits.max_image_pixels / 1_000_000
            ));
        }
        let text = self.ocr(OcrInput::Image(bytes), &format!("{name} image"))?;
        let mut buf = self.text_buf();
        buf.push(&text);
        self.finish(path, buf);
        Ok(())
    }

    /// Reads `input` by OCR within the page budget; `what` names it in the reason when it is not read.
    fn ocr(&mut self, input: OcrInput<'_>, what: &str) -> Result<String, String> {
        if self.out.ocr_pages >= self.limits.max_ocr_pages {
            return Err(format!(
                "{what} not read: the budget of {} OCR pages is used up",
                self.limits.max_ocr_pages
            ));
        }
        match self.readers.ocr(input) {
            None => Err(format!("{what} not read: OCR is off")),
            Some(result) => {
                self.out.ocr_pages += 1;
                result.map_err(|e| format!("{what} could not be read by OCR: {e}"))
            }
        }
    }
}

/// Letters and digits in `text`: what makes a page more than a scan with a stamp or page number.
fn meaningful_chars(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphanumeric()).count()
}
