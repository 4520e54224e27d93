//! The content filter as the server runs it: the text scanner and attachment extraction of
//! `zegel-dlp`, PDF parsing, page rendering and OCR in crash-isolated child processes, and the policy
//! decision of `zegel-core`.
//!
//! Scanning is CPU work; callers run it on a blocking thread (`tokio::task::spawn_blocking`).

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use zegel_core::policy::{ContentFilterPolicy, Decision, RecipientClass, decide};
use zegel_dlp::extract::{Limits, OcrInput, PdfPage, Readers};

use zegel_dlp::{Finding, Findings, Location, Scanner};

/// The most bytes of attachments one message is scanned for (`POST /api/v1/scan` refuses more; the
/// message intake reports the rest as unscannable).
pub const MAX_SCAN_BYTES: usize = 100 * 1024 * 1024;

/// How long parsing one attachment may take, whatever it contains (OCR pages have their own budget).
pub const ATTACHMENT_DEADLINE: Duration = Duration::from_secs(10);
/// Pages OCR reads per message, across its attachments (each attachment at most
/// [`Limits::max_ocr_pages`]); the rest are unscannable.
pub const MAX_OCR_PAGES_PER_MESSAGE: usize = 20;
/// How long one page (a picture, or a PDF page rendered and read) may take.
pub const OCR_PAGE_TIMEOUT: Duration = Duration::from_secs(20);

/// The PDF child's address-space limit.
const PDF_CHILD_MEMORY: u64 = 768 * 1024 * 1024;
/// The PDF child's CPU-time limit, in seconds.
const PDF_CHILD_CPU_SECONDS: u64 = 10;
/// The most output a PDF child may return.
const PDF_CHILD_MAX_OUTPUT: u64 = 32 * 1024 * 1024;
/// The address-space limit of the page renderer and Tesseract.
const OCR_CHILD_MEMORY: u64 = 1536 * 1024 * 1024;
/// Their CPU-time limit, in seconds (the wall-clock timeout is [`OCR_PAGE_TIMEOUT`]).
const OCR_CHILD_CPU_SECONDS: u64 = 30;
/// Renders a PDF page's long side to this many pixels: an A4 page at 300 dpi, which reads 9-point text.
const PAGE_PIXELS: u32 = 3508;
/// The largest rendered page accepted from the renderer: a grayscale PGM, uncompressed because PNG
/// compression of a 300 dpi page costs three times what Tesseract takes to read it (about 12 MB at most).
const MAX_PAGE_IMAGE: u64 = 64 * 1024 * 1024;
/// The most text OCR may return for one page.
const MAX_OCR_TEXT: u64 = 1024 * 1024;
/// The languages read, in order of preference, where their Tesseract data is installed.
const OCR_LANGUAGES: [&str; 3] = ["nld", "swe", "eng"];
/// Pages whose OCR text is kept for the next scan of the same file, and the text kept in all.
const OCR_CACHE_ENTRIES: usize = 512;
const OCR_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// The readers of `zegel-dlp`'s extraction as the server runs them: PDFs in `zegel extract-pdf`, page
/// rendering (`pdftoppm`) and OCR (`tesseract`) under `zegel sandbox`, each a child process with memory,
/// CPU and file-size limits and a wall-clock timeout, so a hostile file that makes a parser crash, loop or
/// balloon costs one child, never the server.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// The `zegel` binary.
    pub program: PathBuf,
    /// OCR, when it is on.
    pub ocr: Option<Arc<Ocr>>,
}

/// How the content filter reads pictures (`ZEGEL_OCR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcrMode {
    /// Tesseract reads images and scanned PDF pages.
    Tesseract,
    /// Pictures and scanned pages are reported as unscannable.
    Off,
}

impl OcrMode {
    /// Reads a `ZEGEL_OCR` value.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "tesseract" => Ok(OcrMode::Tesseract),
            "off" => Ok(OcrMode::Off),
            _ => Err(format!("'{text}' is not tesseract or off")),
        }
    }
}

/// Tesseract and the page renderer, found on this machine, with the cache of what they read.
#[derive(Debug)]
pub struct Ocr {
    tesseract: PathBuf,
    /// `pdftoppm` from poppler-utils, which renders PDF pages for Tesseract.
    renderer: Option<PathBuf>,
    languages: String,
    page_timeout: Duration,
    cache: Mutex<OcrCache>,
}

impl Ocr {
    /// OCR as `mode` asks: with no mode, Tesseract when it is installed (with the Dutch, Swedish or
    /// English language data), else off; `Tesseract` when it is not installed is an error.
    pub fn configure(mode: Option<OcrMode>) -> Result<Option<Arc<Ocr>>, String> {
        match mode {
            Some(OcrMode::Off) => Ok(None),
            None => Ok(Self::find().ok().map(Arc::new)),
            Some(OcrMode::Tesseract) => Self::find().map(|ocr| Some(Arc::new(ocr))),
        }
    }

    /// Tesseract on `PATH`, with the languages it has of [`OCR_LANGUAGES`].
    pub fn find() -> Result<Ocr, String> {
        let tesseract = on_path("tesseract")
            .ok_or("tesseract is not installed (Debian: tesseract-ocr tesseract-ocr-nld tesseract-ocr-swe)")?;
        let listed = Command::new(&tesseract)
            .arg("--list-langs")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", tesseract.display()))?;
        let listed = String::from_utf8_lossy(&listed.stdout);
        let have: Vec<&str> = listed.lines().map(str::trim).collect();
        let languages: Vec<&str> = OCR_LANGUAGES
            .into_iter()
            .filter(|l| have.contains(l))
            .collect();
        if languages.is_empty() {
            return Err(
                "tesseract has none of the nld, swe and eng language data installed".into(),
            );
        }
        Ok(Ocr {
            tesseract,
            renderer: on_path("pdftoppm"),
            languages: languages.join("+"),
            page_timeout: OCR_PAGE_TIMEOUT,
            cache: Mutex::new(OcrCache::default()),
        })
    }

    /// The same OCR with another time budget per page (the default is [`OCR_PAGE_TIMEOUT`]).
    pub fn with_page_timeout(self, page_timeout: Duration) -> Self {
        Self {
            page_timeout,
            ..self
        }
    }

    /// What the admin page and `zegel config` say: which languages are read, and whether PDF pages are.
    pub fn describe(&self) -> String {
        let pages = if self.renderer.is_some() {
            "images and scanned PDF pages"
        } else {
            "images (scanned PDF pages need pdftoppm)"
        };
        format!("tesseract ({}), {pages}", self.languages)
    }

    /// The Tesseract languages read (`nld+swe+eng`).
    pub fn languages(&self) -> &str {
        &self.languages
    }

    /// Whether scanned PDF pages are read too (the page renderer is installed).
    pub fn reads_pdf_pages(&self) -> bool {
        self.renderer.is_some()
    }

    /// Pages read from the cache so far (for tests and the benchmark).
    pub fn cache_hits(&self) -> u64 {
        self.cache.lock().map(|c| c.hits).unwrap_or(0)
    }

    fn read(&self, program: &Path, input: OcrInput<'_>) -> Result<String, String> {
        let key = cache_key(input);
        if let Some(text) = self.cache.lock().ok().and_then(|mut c| c.get(&key)) {
            return Ok(text);
        }
        let deadline = Instant::now() + self.page_timeout;
        let (image, dpi) = match input {
            OcrInput::Image(bytes) => (std::borrow::Cow::Borrowed(bytes), None),
            OcrInput::PdfPage { pdf, page } => {
                let renderer = self
                    .renderer
                    .as_ref()
                    .ok_or("pdftoppm (poppler-utils) is not installed")?;
                let page = page.to_string();
                let scale = PAGE_PIXELS.to_string();
                let args = ["-f", &page, "-l", &page, "-scale-to", &scale, "-gray", "-"];
                // The renderer keeps a copy of a PDF read from stdin in a temporary file.
                let limits = ChildLimits {
                    memory: OCR_CHILD_MEMORY,
                    cpu_seconds: OCR_CHILD_CPU_SECONDS,
                    file_size: 2 * Limits::default().max_bytes_read,
                };
                let (status, pgm) = run_child(
                    "the page renderer",
                    sandboxed(program, &limits, renderer, &args),
                    pdf,
                    MAX_PAGE_IMAGE,
                    deadline,
                )?;
                if !status.success() || pgm.is_empty() {
                    return Err("the page could not be rendered".into());
                }
                (std::borrow::Cow::Owned(pgm), Some("300"))
            }
        };
        let mut args = vec!["stdin", "stdout", "-l", &self.languages, "--psm", "3"];
        if let Some(dpi) = dpi {
            args.extend(["--dpi", dpi]);
        }
        let limits = ChildLimits {
            memory: OCR_CHILD_MEMORY,
            cpu_seconds: OCR_CHILD_CPU_SECONDS,
            file_size: 0,
        };
        let (status, text) = run_child(
            "tesseract",
            sandboxed(program, &limits, &self.tesseract, &args),
            &image,
            MAX_OCR_TEXT,
            deadline,
        )?;
        if !status.success() {
            return Err("the picture could not be decoded".into());
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        if let Ok(mut cache) = self.cache.lock() {
            cache.put(key, text.clone());
        }
        Ok(text)
    }
}

/// The first `name` in a directory of `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// OCR text by the content hash of what was read (and the page), oldest out first.
#[derive(Debug, Default)]
struct OcrCache {
    texts: HashMap<[u8; 32], String>,
    order: VecDeque<[u8; 32]>,
    bytes: usize,
    hits: u64,
}

impl OcrCache {
    fn get(&mut self, key: &[u8; 32]) -> Option<String> {
        let text = self.texts.get(key).cloned();
        self.hits += u64::from(text.is_some());
        text
    }

    fn put(&mut self, key: [u8; 32], text: String) {
        if text.len() > OCR_CACHE_BYTES || self.texts.contains_key(&key) {
            return;
        }
        self.bytes += text.len();
        self.texts.insert(key, text);
        self.order.push_back(key);
        while self.texts.len() > OCR_CACHE_ENTRIES || self.bytes > OCR_CACHE_BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(gone) = self.texts.remove(&oldest) {
                self.bytes -= gone.len();
            }
        }
    }
}

fn cache_key(input: OcrInput<'_>) -> [u8; 32] {
    let mut hash = Sha256::new();
    match input {
        OcrInput::Image(bytes) => {
            hash.update(b"image\0");
            hash.update(bytes);
        }
        OcrInput::PdfPage { pdf, page } => {
            hash.update(b"pdf page\0");
            hash.update(page.to_be_bytes());
            hash.update(pdf);
        }
    }
    hash.finalize().into()
}

impl Sandbox {
    /// The running executable (the `zegel` binary when serving), with OCR as configured.
    pub fn current(ocr: Option<Arc<Ocr>>) -> Self {
        Self {
            program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("zegel")),
            ocr,
        }
    }
}

impl Readers for Sandbox {
    fn pdf_pages(&self, bytes: &[u8]) -> Result<Vec<PdfPage>, String> {
        let mut command = Command::new(&self.program);
        command.arg("extract-pdf").env_clear();
        let deadline = Instant::now() + ATTACHMENT_DEADLINE;
        let (status, json) = run_child(
            "the PDF reader",
            command,
            bytes,
            PDF_CHILD_MAX_OUTPUT,
            deadline,
        )?;
        if !status.success() {
            return Err("the PDF could not be read".to_owned());
        }
        serde_json::from_slice(&json)
            .map_err(|_| "the PDF reader returned invalid pages".to_owned())
    }

    fn ocr(&self, input: OcrInput<'_>) -> Option<Result<String, String>> {
        let ocr = self.ocr.as_ref()?;
        Some(ocr.read(&self.program, input))
    }
}

/// The resource limits `zegel sandbox` sets before it becomes the program it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildLimits {
    /// Address space, in bytes.
    pub memory: u64,
    /// CPU time, in seconds.
    pub cpu_seconds: u64,
    /// The largest file it may write, in bytes (0: none).
    pub file_size: u64,
}

/// `zegel sandbox --memory M --cpu S --file-size F -- PROGRAM ARGS`, with an empty environment but for
/// one OCR thread.
fn sandboxed(zegel: &Path, limits: &ChildLimits, program: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(zegel);
    command
        .arg("sandbox")
        .args(["--memory", &limits.memory.to_string()])
        .args(["--cpu", &limits.cpu_seconds.to_string()])
        .args(["--file-size", &limits.file_size.to_string()])
        .arg("--")
        .arg(program)
        .args(args)
        .env_clear()
        .env("OMP_THREAD_LIMIT", "1");
    command
}

/// The body of `zegel sandbox`: sets its limits (inherited by what it runs), then becomes `program`.
/// Returns only when that fails.
pub fn sandbox_child(limits: ChildLimits, program: &Path, args: &[String]) -> i32 {
    use rlimit::Resource;
    use std::os::unix::process::CommandExt;
    let set = [
        Resource::AS.set(limits.memory, limits.memory),
        Resource::CPU.set(limits.cpu_seconds, limits.cpu_seconds),
        Resource::FSIZE.set(limits.file_size, limits.file_size),
        Resource::CORE.set(0, 0),
    ];
    if let Some(Err(error)) = set.into_iter().find(Result::is_err) {
        eprintln!("error: cannot set the sandbox's limits: {error}");
        return 126;
    }
    let error = Command::new(program).args(args).exec();
    eprintln!("error: cannot run {}: {error}", program.display());
    127
}

/// Runs `command` (`what`, for errors) with `input` on its stdin, reading at most `max_output` bytes of
/// its stdout, and kills it at `deadline`. The input is written from a scoped thread, so it is never
/// copied; killing the child closes its pipes, which ends both threads.
fn run_child(
    what: &str,
    mut command: Command,
    input: &[u8],
    max_output: u64,
    deadline: Instant,
) -> Result<(ExitStatus, Vec<u8>), String> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = child.stdout.take().expect("piped stdout");
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let _ = stdin.write_all(input);
        });
        let reader = scope.spawn(move || {
            let mut out = Vec::new();
            let _ = (&mut stdout).take(max_output).read_to_end(&mut out);
            out
        });
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err("it took too long".to_owned());
                }
            }
        };
        Ok((status, reader.join().unwrap_or_default()))
    })
}

/// The body of `zegel extract-pdf`: limits itself, reads a PDF from stdin and writes its pages as JSON
/// to stdout.
pub fn extract_pdf_child() -> i32 {
    use rlimit::Resource;
    // Limits first, before a byte of the PDF is parsed.
    let _ = Resource::AS.set(PDF_CHILD_MEMORY, PDF_CHILD_MEMORY);
    let _ = Resource::CPU.set(PDF_CHILD_CPU_SECONDS, PDF_CHILD_CPU_SECONDS);
    let _ = Resource::CORE.set(0, 0);
    let mut bytes = Vec::new();
    if std::io::stdin()
        .take(zegel_dlp::extract::Limits::default().max_bytes_read)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return 2;
    }
    match zegel_dlp::extract::pdf_pages_in_process(&bytes) {
        Ok(pages) => {
            let Ok(json) = serde_json::to_vec(&pages) else {
                return 2;
            };
            if std::io::stdout().write_all(&json).is_err() {
                return 2;
            }
            0
        }
        Err(_) => 1,
    }
}

/// One attachment to scan.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Its file name.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

pub use zegel_core::api::{ScanInput, ScanOutcome, ScanRecipient};

/// Scans a message and decides. `internal_domains` tell internal recipients from external ones; with
/// no recipients at all, the message is treated as going outside (fail safe).
pub fn scan_message(
    policy: &ContentFilterPolicy,
    input: &ScanInput,
    attachments: &[Attachment],
    internal_domains: &[String],
    readers: &dyn Readers,
) -> ScanOutcome {
    let scanner = Scanner::new(&policy.words());
    let mut found = Findings::new();
    scan_texts(&scanner, input, readers, &mut found);
    let mut ocr_pages_left = MAX_OCR_PAGES_PER_MESSAGE;
    for attachment in attachments {
        ocr_pages_left -= scanner.scan_attachment_into(
            &attachment.name,
            &attachment.bytes,
            &limits(ocr_pages_left),
            readers,
            &mut found,
        );
    }
    let counts = found.counts().clone();
    let findings = found.into_kept();
    let recipients: Vec<&str> = input.recipients.iter().map(|r| r.email.as_str()).collect();
    let decision = decide_for(
        policy,
        &findings,
        &recipients,
        internal_domains,
        !attachments.is_empty(),
    );
    ScanOutcome {
        decision,
        findings,
        counts,
    }
}

/// Scans the subject and the bodies (the HTML body reduced to its text first) into `found`.
pub fn scan_texts(
    scanner: &Scanner,
    input: &ScanInput,
    readers: &dyn Readers,
    found: &mut Findings,
) {
    if !input.subject.is_empty() {
        scanner.scan_text_into(&input.subject, &Location::Subject, found);
    }
    for text in [&input.body_text, &input.text].into_iter().flatten() {
        scanner.scan_text_into(text, &Location::Body, found);
    }
    if let Some(html) = &input.body_html {
        // Tags would split words and numbers.
        let extraction =
            zegel_dlp::extract::extract("body.html", html.as_bytes(), &limits(0), readers);
        for part in extraction.parts {
            scanner.scan_text_into(&part.text, &Location::Body, found);
        }
    }
}

/// The policy's decision for `findings` in a message to `recipients` (internal or external by
/// `internal_domains`; no recipients at all counts as going outside, fail safe).
pub fn decide_for(
    policy: &ContentFilterPolicy,
    findings: &[Finding],
    recipients: &[&str],
    internal_domains: &[String],
    has_attachments: bool,
) -> Decision {
    let classes: Vec<RecipientClass> = if recipients.is_empty() {
        vec![RecipientClass::External]
    } else {
        recipients
            .iter()
            .map(|email| classify(email, internal_domains))
            .collect()
    };
    decide(policy, findings, &classes, has_attachments)
}

/// The content filter over a message while it is uploaded (`POST /api/v1/messages`): each attachment is
/// kept in memory only up to the extraction limit (and the message's scan budget of [`MAX_SCAN_BYTES`]),
/// scanned as soon as it is complete and dropped, so a request holds at most one attachment's bytes for
/// scanning. Beyond the limits an attachment is an `unscannable` finding, which the policy handles.
pub struct IntakeScan {
    scanner: std::sync::Arc<Scanner>,
    readers: Sandbox,
    findings: Findings,
    budget_left: u64,
    ocr_pages_left: usize,
    attachments: usize,
}

/// One attachment's bytes as far as they are scanned.
pub struct AttachmentBuffer {
    name: String,
    bytes: Vec<u8>,
    cap: u64,
    seen: u64,
    limit: Option<String>,
}

impl AttachmentBuffer {
    /// Takes the next chunk; past the cap the bytes are dropped and the attachment becomes unscannable.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.count(chunk.len() as u64) {
            self.bytes.extend_from_slice(chunk);
        }
    }

    /// Whether an attachment of `size` bytes would be scanned at all: one past the cap need not be read,
    /// only [`AttachmentBuffer::skip`]ped.
    pub fn wants(&self, size: u64) -> bool {
        size <= self.cap
    }

    /// Counts `len` bytes that were not read, as [`AttachmentBuffer::push`] would have (past the cap
    /// the attachment is unscannable).
    pub fn skip(&mut self, len: u64) {
        if self.count(len) {
            self.bytes = Vec::new();
            self.limit = Some("the attachment was not read".to_owned());
        }
    }

    /// Counts `len` more bytes; answers whether they are kept.
    fn count(&mut self, len: u64) -> bool {
        self.seen += len;
        if self.limit.is_some() {
            return false;
        }
        if self.seen > self.cap {
            self.bytes = Vec::new();
            self.limit = Some(if self.cap < Limits::default().max_bytes_read {
                format!(
                    "the message's attachments are larger than the scan limit of {MAX_SCAN_BYTES} bytes"
                )
            } else {
                format!(
                    "file larger than the limit of {} bytes",
                    Limits::default().max_bytes_read
                )
            });
            return false;
        }
        true
    }
}

impl IntakeScan {
    /// Starts scanning a message under `policy`.
    pub fn new(policy: &ContentFilterPolicy, readers: Sandbox) -> Self {
        Self {
            scanner: std::sync::Arc::new(Scanner::new(&policy.words())),
            readers,
            findings: Findings::new(),
            budget_left: MAX_SCAN_BYTES as u64,
            ocr_pages_left: MAX_OCR_PAGES_PER_MESSAGE,
            attachments: 0,
        }
    }

    /// A buffer for the next attachment, named `name`.
    pub fn attachment(&self, name: &str) -> AttachmentBuffer {
        AttachmentBuffer {
            name: name.to_owned(),
            bytes: Vec::new(),
            cap: self.budget_left.min(Limits::default().max_bytes_read),
            seen: 0,
            limit: None,
        }
    }

    /// Scans a complete attachment (on a blocking thread) and keeps only its findings.
    pub async fn scan_attachment(&mut self, buffer: AttachmentBuffer) -> anyhow::Result<()> {
        self.attachments += 1;
        self.budget_left = self.budget_left.saturating_sub(buffer.seen);
        let location = Location::Attachment {
            name: buffer.name.clone(),
            path: Vec::new(),
            page: None,
        };
        if let Some(reason) = buffer.limit {
            self.findings.push(Finding::unscannable(location, reason));
            return Ok(());
        }
        let scanner = self.scanner.clone();
        let readers = self.readers.clone();
        let mut found = std::mem::take(&mut self.findings);
        let limits = limits(self.ocr_pages_left);
        let (found, pages) = tokio::task::spawn_blocking(move || {
            let pages = scanner.scan_attachment_into(
                &buffer.name,
                &buffer.bytes,
                &limits,
                &readers,
                &mut found,
            );
            (found, pages)
        })
        .await?;
        self.findings = found;
        self.ocr_pages_left -= pages;
        Ok(())
    }

    /// Scans the subject and bodies and decides for a message to `recipients`.
    pub async fn decide(
        mut self,
        policy: ContentFilterPolicy,
        texts: ScanInput,
        recipients: Vec<String>,
        internal_domains: Vec<String>,
    ) -> anyhow::Result<Decision> {
        let decision = tokio::task::spawn_blocking(move || {
            scan_texts(&self.scanner, &texts, &self.readers, &mut self.findings);
            let findings = self.findings.into_kept();
            let recipients: Vec<&str> = recipients.iter().map(String::as_str).collect();
            decide_for(
                &policy,
                &findings,
                &recipients,
                &internal_domains,
                self.attachments > 0,
            )
        })
        .await?;
        Ok(decision)
    }
}

/// Internal when the address's domain is one of `internal_domains` (or a subdomain of one).
pub fn classify(email: &str, internal_domains: &[String]) -> RecipientClass {
    let domain = zegel_core::address::domain_of(email).to_ascii_lowercase();
    let internal = internal_domains
        .iter()
        .any(|d| domain == *d || domain.ends_with(&format!(".{d}")));
    if internal {
        RecipientClass::Internal
    } else {
        RecipientClass::External
    }
}

/// The extraction limits for one attachment, with a fresh deadline and at most `ocr_pages_left` pages
/// for OCR (what the message has left of its budget).
pub fn limits(ocr_pages_left: usize) -> Limits {
    let limits = Limits::default();
    Limits {
        deadline: Some(Instant::now() + ATTACHMENT_DEADLINE),
        max_ocr_pages: limits.max_ocr_pages.min(ocr_pages_left),
        ..limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zegel_dlp::Kind;

    #[test]
    fn classifies_recipients_by_domain() {
        let internal = vec!["zorg.example".to_owned()];
        assert_eq!(
            classify("a@zorg.example", &internal),
            RecipientClass::Internal
        );
        assert_eq!(
            classify("a@afd.zorg.example", &internal),
            RecipientClass::Internal
        );
        assert_eq!(
            classify("a@notzorg.example", &internal),
            RecipientClass::External
        );
    }

    #[tokio::test]
    async fn attachments_past_the_limit_are_not_kept_but_unscannable() {
        let mut scan = IntakeScan::new(&ContentFilterPolicy::default(), Sandbox::current(None));
        let mut small = scan.attachment("brief.txt");
        small.push(b"BSN 111222333");
        scan.scan_attachment(small).await.unwrap();
        let mut big = scan.attachment("groot.txt");
        big.cap = 8;
        big.push(b"BSN 1112");
        big.push(b"22333");
        assert!(big.bytes.is_empty(), "nothing kept past the cap");
        scan.scan_attachment(big).await.unwrap();
        assert_eq!(scan.budget_left, MAX_SCAN_BYTES as u64 - 13 - 13);
        let decision = scan
            .decide(
                ContentFilterPolicy::default(),
                ScanInput::default(),
                vec!["jan@elders.example".into()],
                vec!["zorg.example".into()],
            )
            .await
            .unwrap();
        let kinds: Vec<_> = decision.reasons.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [zegel_dlp::Kind::NlBsn, zegel_dlp::Kind::Unscannable]
        );
        let unscannable = &decision.reasons[1];
        assert!(
            unscannable.terms[0].contains("larger than"),
            "{unscannable:?}"
        );
        let required = decision.required.unwrap();
        assert_eq!(required.kind, zegel_core::MessageKind::SecureFiles);
    }

    #[test]
    fn a_bsn_in_the_body_forces_two_factor() {
        let input = ScanInput {
            subject: "Verwijzing".into(),
            body_text: Some("Het BSN van mevrouw is 111222333.".into()),
            recipients: vec![ScanRecipient {
                email: "huisarts@elders.example".into(),
                kind: None,
            }],
            ..Default::default()
        };
        let outcome = scan_message(
            &ContentFilterPolicy::default(),
            &input,
            &[],
            &["zorg.example".into()],
            &zegel_dlp::extract::InProcess,
        );
        assert_eq!(outcome.decision.action, zegel_core::policy::Action::Force);
        assert_eq!(outcome.decision.level, Some(zegel_core::AuthLevel::TwoFa));
        assert_eq!(outcome.findings[0].text, "111222333");
    }

    #[test]
    fn findings_are_bounded_and_counts_exact() {
        // 300 distinct BSNs (each with its keyword) pass the 11-proef: nine digits, the last a check digit.
        let mut text = String::new();
        let mut n = 10_000_000u64;
        let mut made = 0;
        while made < 300 {
            n += 1;
            let digits = format!("{n:08}");
            let sum: u64 = digits
                .bytes()
                .zip((2..=9).rev())
                .map(|(d, w)| u64::from(d - b'0') * w)
                .sum();
            if sum % 11 < 10 {
                text.push_str(&format!("BSN {digits}{}. ", sum % 11));
                made += 1;
            }
        }
        let input = ScanInput {
            body_text: Some(text),
            ..Default::default()
        };
        let outcome = scan_message(
            &ContentFilterPolicy::default(),
            &input,
            &[],
            &[],
            &zegel_dlp::extract::InProcess,
        );
        assert_eq!(outcome.counts[&Kind::NlBsn], 300);
        assert_eq!(outcome.findings.len(), zegel_dlp::KEPT_TERMS_PER_KIND);
        let json = serde_json::to_value(&outcome).unwrap();
        assert_eq!(json["counts"]["nl_bsn"], 300);
        assert_eq!(json["findings"].as_array().unwrap().len(), 100);
    }
}
