//! `zegel scan`: the content filter on files from the command line.
//!
//! Exit code 0 whatever is found; 2 for usage errors and unreadable paths, with a clear message.

use std::io::Read;
use std::path::Path;

use zegel_core::policy::{ContentFilterPolicy, WordRule};
use zegel_dlp::{Location, Scanner};

use crate::scan::{ChildProcessPdf, limits};

/// The options of `zegel scan`.
#[derive(Debug, Clone, Default)]
pub struct ScanArgs {
    /// Print one JSON object per file and line.
    pub json: bool,
    /// A JSON file with a content-filter policy (the default care policy when absent).
    pub policy: Option<String>,
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
    let scanner = Scanner::new(&policy.words());
    let pdf = ChildProcessPdf::current();
    let mut failed = false;
    for file in &args.files {
        let bytes = match read_input(file) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("error: {file}: {error}");
                failed = true;
                continue;
            }
        };
        let name = Path::new(file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "stdin".into());
        let extension = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let binary = bytes.starts_with(b"%PDF") || bytes.starts_with(b"PK\x03\x04");
        let findings = match std::str::from_utf8(&bytes) {
            Ok(text) if !binary && !EXTRACTED.contains(&extension.as_str()) => {
                scanner.scan_text(text, Location::Body)
            }
            _ => scanner.scan_attachment(&name, &bytes, &limits(), &pdf),
        };
        // Recipients are unknown here; they count as external, the strictest reading.
        let has_attachment = findings
            .iter()
            .any(|f| matches!(f.location, Location::Attachment { .. }));
        let classes = [zegel_core::policy::RecipientClass::External];
        let decision = zegel_core::policy::decide(&policy, &findings, &classes, has_attachment);
        if args.json {
            let line =
                serde_json::json!({"file": file, "findings": findings, "decision": decision});
            println!("{line}");
        } else {
            println!("{file}: {} finding(s)", findings.len());
            for finding in &findings {
                let place = match &finding.location {
                    Location::Subject => "subject".to_owned(),
                    Location::Body => "text".to_owned(),
                    Location::Attachment { name, path } if path.is_empty() => name.clone(),
                    Location::Attachment { name, path } => format!("{name} > {}", path.join(" > ")),
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
    if failed { 2 } else { 0 }
}

fn read_input(file: &str) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(file)?.read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}
