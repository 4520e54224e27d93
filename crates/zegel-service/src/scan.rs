//! The content filter as the server runs it: the text scanner and attachment extraction of
//! `zegel-dlp`, PDF parsing in a crash-isolated child process, and the policy decision of `zegel-core`.
//!
//! Scanning is CPU work; callers run it on a blocking thread (`tokio::task::spawn_blocking`).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use zegel_core::policy::{ContentFilterPolicy, Decision, RecipientClass, decide};
use zegel_dlp::extract::{Limits, PdfText};

use zegel_dlp::{Finding, Findings, Location, Scanner};

/// The most bytes of attachments one message is scanned for (`POST /api/v1/scan` refuses more; the
/// message intake reports the rest as unscannable).
pub const MAX_SCAN_BYTES: usize = 100 * 1024 * 1024;

/// How long one attachment may take, whatever it contains.
pub const ATTACHMENT_DEADLINE: Duration = Duration::from_secs(10);
/// The PDF child's address-space limit.
const PDF_CHILD_MEMORY: u64 = 768 * 1024 * 1024;
/// The PDF child's CPU-time limit, in seconds.
const PDF_CHILD_CPU_SECONDS: u64 = 10;
/// The most text a PDF child may return.
const PDF_CHILD_MAX_OUTPUT: u64 = 32 * 1024 * 1024;

/// Extracts PDF text in a child process (`zegel extract-pdf`) with memory and CPU limits and a
/// wall-clock timeout, so a hostile PDF that makes the parser crash, loop or balloon costs one child,
/// never the server.
#[derive(Debug, Clone)]
pub struct ChildProcessPdf {
    /// The `zegel` binary.
    pub program: PathBuf,
}

impl ChildProcessPdf {
    /// The running executable (the `zegel` binary when serving).
    pub fn current() -> Self {
        Self {
            program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("zegel")),
        }
    }
}

impl PdfText for ChildProcessPdf {
    fn pdf_text(&self, bytes: &[u8]) -> Result<String, String> {
        let mut child = Command::new(&self.program)
            .arg("extract-pdf")
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the PDF reader: {e}"))?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let input = bytes.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let mut stdout = child.stdout.take().expect("piped stdout");
        let reader = std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = (&mut stdout)
                .take(PDF_CHILD_MAX_OUTPUT)
                .read_to_end(&mut text);
            text
        });
        let deadline = Instant::now() + ATTACHMENT_DEADLINE;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err("the PDF took too long to read".to_owned());
                }
            }
        };
        let _ = writer.join();
        let text = reader.join().unwrap_or_default();
        if !status.success() {
            return Err("the PDF could not be read".to_owned());
        }
        String::from_utf8(text).map_err(|_| "the PDF reader returned invalid text".to_owned())
    }
}

/// The body of `zegel extract-pdf`: limits itself, reads a PDF from stdin and writes its text to stdout.
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
    match zegel_dlp::extract::pdf_text_in_process(&bytes) {
        Ok(text) => {
            if std::io::stdout().write_all(text.as_bytes()).is_err() {
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
    pdf: &dyn PdfText,
) -> ScanOutcome {
    let scanner = Scanner::new(&policy.words());
    let mut found = Findings::new();
    scan_texts(&scanner, input, pdf, &mut found);
    for attachment in attachments {
        scanner.scan_attachment_into(
            &attachment.name,
            &attachment.bytes,
            &limits(),
            pdf,
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
pub fn scan_texts(scanner: &Scanner, input: &ScanInput, pdf: &dyn PdfText, found: &mut Findings) {
    if !input.subject.is_empty() {
        scanner.scan_text_into(&input.subject, &Location::Subject, found);
    }
    for text in [&input.body_text, &input.text].into_iter().flatten() {
        scanner.scan_text_into(text, &Location::Body, found);
    }
    if let Some(html) = &input.body_html {
        // Tags would split words and numbers.
        let extraction = zegel_dlp::extract::extract("body.html", html.as_bytes(), &limits(), pdf);
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
    pdf: ChildProcessPdf,
    findings: Findings,
    budget_left: u64,
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
        self.seen += chunk.len() as u64;
        if self.limit.is_some() {
            return;
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
            return;
        }
        self.bytes.extend_from_slice(chunk);
    }
}

impl IntakeScan {
    /// Starts scanning a message under `policy`.
    pub fn new(policy: &ContentFilterPolicy, pdf: ChildProcessPdf) -> Self {
        Self {
            scanner: std::sync::Arc::new(Scanner::new(&policy.words())),
            pdf,
            findings: Findings::new(),
            budget_left: MAX_SCAN_BYTES as u64,
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
        };
        if let Some(reason) = buffer.limit {
            self.findings.push(Finding::unscannable(location, reason));
            return Ok(());
        }
        let scanner = self.scanner.clone();
        let pdf = self.pdf.clone();
        let mut found = std::mem::take(&mut self.findings);
        self.findings = tokio::task::spawn_blocking(move || {
            scanner.scan_attachment_into(&buffer.name, &buffer.bytes, &limits(), &pdf, &mut found);
            found
        })
        .await?;
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
            scan_texts(&self.scanner, &texts, &self.pdf, &mut self.findings);
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

/// The extraction limits for one attachment, with a fresh deadline.
pub fn limits() -> Limits {
    Limits {
        deadline: Some(Instant::now() + ATTACHMENT_DEADLINE),
        ..Limits::default()
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
        let mut scan = IntakeScan::new(&ContentFilterPolicy::default(), ChildProcessPdf::current());
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
            &zegel_dlp::extract::InProcessPdf,
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
            &zegel_dlp::extract::InProcessPdf,
        );
        assert_eq!(outcome.counts[&Kind::NlBsn], 300);
        assert_eq!(outcome.findings.len(), zegel_dlp::KEPT_TERMS_PER_KIND);
        let json = serde_json::to_value(&outcome).unwrap();
        assert_eq!(json["counts"]["nl_bsn"], 300);
        assert_eq!(json["findings"].as_array().unwrap().len(), 100);
    }
}
