//! `zegel scan`: the content filter on files from the command line.
//!
//! Exit code 1 when the policy forces protection for a file (so scripts can stop such a file), 2 for
//! usage errors and unreadable paths, with a clear message (2 wins over 1), else 0.
//!
//! Memory stays bounded whatever the input: a text file is scanned as it is read, and only a bounded
//! number of findings per kind is kept (`counts` in the JSON output says how many there were).

use std::io::Read;
use std::path::Path;

use zegel_core::policy::{ContentFilterPolicy, WordRule};
use zegel_dlp::{Findings, Location, Scanner, TextStream};

use zegel_service::scan::{Ocr, OcrMode, Sandbox, limits};

/// The options of `zegel scan`.
#[derive(Debug, Clone, Default)]
pub struct ScanArgs {
    /// Print one JSON object per file and line.
    pub json: bool,
    /// A JSON file with a content-filter policy (the default care policy when absent).
    pub policy: Option<String>,
    /// Recipients to decide for; none means the files are judged as going outside, without a warning
    /// about recipients nobody named.
    pub recipients: Vec<String>,
    /// The organisation's mail domains: recipients there are internal.
    pub internal_domains: Vec<String>,
    /// Extra trigger words (forcing protection at 1FA unless the policy file says otherwise).
    pub triggers: Vec<String>,
    /// Extra activation words.
    pub activations: Vec<String>,
    /// Paths, `-` for stdin.
    pub files: Vec<String>,
}

/// Extensions handled by attachment extraction rather than as plain text.
const EXTRACTED: [&str; 12] = [
    "pdf", "docx", "xlsx", "odt", "ods", "odp", "pptx", "html", "htm", "eml", "zip", "msg",
];

/// Runs the command; returns the process exit code.
pub fn run(args: ScanArgs) -> i32 {
    if args.files.is_empty() {
        eprintln!("error: name at least one FILE to scan (or - for stdin)");
        return 2;
    }
    let mut policy = match &args.policy {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                serde_json::from_str::<ContentFilterPolicy>(&text)
                    .map_err(|e| format!("not a valid policy: {e}"))
            }) {
            Ok(policy) => policy,
            Err(error) => {
                eprintln!("error: --policy {path}: {error}");
                return 2;
            }
        },
        None => ContentFilterPolicy::default(),
    };
    for word in &args.triggers {
        if word.trim().is_empty() {
            eprintln!("error: --trigger needs a word");
            return 2;
        }
        policy.trigger_words.push(WordRule {
            word: word.clone(),
            action: zegel_core::policy::Action::Force,
            level: zegel_core::AuthLevel::OneFa,
        });
    }
    for word in &args.activations {
        if word.trim().is_empty() {
            eprintln!("error: --activation needs a word");
            return 2;
        }
        policy.activation_words.push(word.clone());
    }
    // Pictures are read as the server reads them: ZEGEL_OCR=tesseract or off, by default Tesseract when
    // it is installed.
    let mode = match std::env::var("ZEGEL_OCR").ok().filter(|v| !v.is_empty()) {
        Some(text) => match OcrMode::parse(&text) {
            Ok(mode) => Some(mode),
            Err(error) => {
                eprintln!("error: ZEGEL_OCR: {error}");
                return 2;
            }
        },
        None => None,
    };
    let ocr = match Ocr::configure(mode) {
        Ok(ocr) => ocr,
        Err(error) => {
            eprintln!("error: ZEGEL_OCR=tesseract: {error}");
            return 2;
        }
    };
    let mut recipients = Vec::new();
    for email in &args.recipients {
        match zegel_core::address::normalize_email(email) {
            Ok(email) => recipients.push(email),
            Err(error) => {
                eprintln!("error: --to: {error}");
                return 2;
            }
        }
    }
    let scanner = Scanner::new(&policy.words());
    let pdf = Sandbox::current(ocr);
    let mut failed = false;
    let mut forced = false;
    for file in &args.files {
        let found = match scan_file(&scanner, file, &pdf) {
            Ok(found) => found,
            Err(error) => {
                eprintln!("error: {file}: {error}");
                failed = true;
                continue;
            }
        };
        let counts = found.counts().clone();
        let total = found.total();
        let findings = found.into_kept();
        let has_attachment = findings
            .iter()
            .any(|f| matches!(f.location, Location::Attachment { .. }));
        let decision = if recipients.is_empty() {
            // No recipients named: judged as going outside, the strictest reading, without claiming
            // an external recipient nobody named.
            let classes = [zegel_core::policy::RecipientClass::External];
            let mut decision =
                zegel_core::policy::decide(&policy, &findings, &classes, has_attachment);
            decision
                .warnings
                .retain(|w| !matches!(w, zegel_core::policy::Warning::ExternalRecipients { .. }));
            decision
        } else {
            let recipients: Vec<&str> = recipients.iter().map(String::as_str).collect();
            let internal: Vec<String> = args
                .internal_domains
                .iter()
                .map(|d| d.trim().to_ascii_lowercase())
                .collect();
            zegel_service::scan::decide_for(
                &policy,
                &findings,
                &recipients,
                &internal,
                has_attachment,
            )
        };
        forced |= decision.action == zegel_core::policy::Action::Force;
        if args.json {
            // `findings` keeps every kind in every place but at most KEPT_TERMS_PER_KIND distinct
            // values per kind; `counts` says how many there were in all. Serialised from the types, so
            // confidences print as written (0.97), not widened to f64.
            #[derive(serde::Serialize)]
            struct Line<'a> {
                file: &'a str,
                findings: &'a [zegel_dlp::Finding],
                counts: &'a std::collections::BTreeMap<zegel_dlp::Kind, u64>,
                decision: &'a zegel_core::policy::Decision,
            }
            let line = Line {
                file,
                findings: &findings,
                counts: &counts,
                decision: &decision,
            };
            match serde_json::to_string(&line) {
                Ok(line) => println!("{line}"),
                Err(error) => {
                    eprintln!("error: {file}: {error}");
                    failed = true;
                }
            }
        } else {
            if total > findings.len() as u64 {
                println!("{file}: {total} finding(s), {} shown", findings.len());
                for (kind, n) in &counts {
                    println!("  {:<16} {n}", kind.as_str());
                }
            } else {
                println!("{file}: {total} finding(s)");
            }
            for finding in &findings {
                let place = match &finding.location {
                    Location::Subject => "subject".to_owned(),
                    Location::Body => "text".to_owned(),
                    Location::Attachment { name, path, page } => {
                        let mut place = name.clone();
                        for inner in path {
                            place = format!("{place} > {inner}");
                        }
                        if let Some(page) = page {
                            place = format!("{place}, page {page}");
                        }
                        place
                    }
                };
                let extra = finding
                    .reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                println!(
                    "  {:<16} {:<28} {place} {}..{}  confidence {:.2}{extra}",
                    finding.kind.as_str(),
                    format!("{:?}", finding.text),
                    finding.start,
                    finding.end,
                    finding.confidence
                );
            }
            let level = decision
                .level
                .map(|l| format!(" at {}", l.as_str()))
                .unwrap_or_default();
            println!(
                "  decision: {:?}{level} — {}",
                decision.action,
                decision.summary()
            );
        }
    }
    if failed {
        2
    } else if forced {
        1
    } else {
        0
    }
}

/// How much of a file is looked at to tell text from an attachment format.
const HEAD: usize = 64 * 1024;
/// The pieces a text file is read in.
const PIECE: usize = 1024 * 1024;

/// Scans one file (or stdin): a UTF-8 text is streamed through the scanner in pieces, so memory stays
/// bounded for any size; anything else is read (up to the extraction limit) and extracted.
fn scan_file(scanner: &Scanner, file: &str, pdf: &Sandbox) -> std::io::Result<Findings> {
    let mut input: Box<dyn Read> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(file)?)
    };
    let name = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stdin".into());
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let mut head = Vec::with_capacity(HEAD);
    (&mut input).take(HEAD as u64).read_to_end(&mut head)?;
    let binary = head.starts_with(b"%PDF") || head.starts_with(b"PK\x03\x04");
    // A text cut in the middle of a char at the end of the head is still text.
    let utf8 = match std::str::from_utf8(&head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    let mut found = Findings::new();
    if utf8 && !binary && !EXTRACTED.contains(&extension.as_str()) {
        let mut stream = TextStream::new(scanner, Location::Body);
        stream.feed(&head, &mut found);
        let mut piece = vec![0; PIECE];
        loop {
            let n = match input.read(&mut piece) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            stream.feed(&piece[..n], &mut found);
        }
        stream.finish(&mut found);
    } else {
        // One byte over the extraction limit is enough for extraction to report the file as too
        // large; reading more would only cost memory.
        let limits = limits(usize::MAX);
        let mut bytes = head;
        input
            .take(limits.max_bytes_read + 1 - bytes.len().min(HEAD) as u64)
            .read_to_end(&mut bytes)?;
        scanner.scan_attachment_into(&name, &bytes, &limits, pdf, &mut found);
    }
    Ok(found)
}
