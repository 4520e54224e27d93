//! Evaluates the content filter on the DLP development corpus and measures its speed.
//!
//! ```text
//! cargo run --release -p zegel-dlp --features extract --example corpus_eval [-- CORPUS_DIR]
//! ```
//!
//! `CORPUS_DIR` defaults to `../shared/dlp-corpus` (relative to the current directory, the workspace
//! root). It writes `target/dlp-predictions.jsonl` in the format `score.py` reads and prints:
//! per-kind precision/recall/F1 (a finding matches a labelled value of the same kind that it overlaps,
//! one-to-one, like `score.py`), text-scanning throughput on one thread, per-file results on the
//! attachments, and the time to scan a typical mail. It always exits 0 when the corpus can be read.

use std::collections::{BTreeMap, HashSet};
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;
use zegel_dlp::extract::{InProcess, Limits};
use zegel_dlp::{Kind, Location, Scanner, Words};

/// The kinds `score.py` scores, in its order.
const SCORED: [Kind; 8] = [
    Kind::NlBsn,
    Kind::Iban,
    Kind::SePersonnummer,
    Kind::CreditCard,
    Kind::NlPhone,
    Kind::Email,
    Kind::TriggerWord,
    Kind::ActivationWord,
];

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/dlp-corpus".into());
    let corpus = match std::fs::read_to_string(format!("{dir}/corpus.jsonl")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot read {dir}/corpus.jsonl: {e}");
            std::process::exit(2);
        }
    };
    let docs: Vec<Value> = corpus
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let scanner = Scanner::new(&Words {
        trigger_words: vec!["Patiëntendossier".into()],
        activation_words: vec!["zegel-veilig".into()],
    });

    println!(
        "== text: {} documents from {dir}/corpus.jsonl ==",
        docs.len()
    );
    spans(&scanner, &docs);
    throughput(&scanner, &docs);
    attachments(&scanner, &dir);
    typical_mail(&scanner, &docs);
}

/// Per-kind precision, recall and F1; writes the predictions file.
fn spans(scanner: &Scanner, docs: &[Value]) {
    std::fs::create_dir_all("target").ok();
    let mut out =
        std::fs::File::create("target/dlp-predictions.jsonl").expect("target/ is writable");
    let mut counts: BTreeMap<Kind, [usize; 4]> = BTreeMap::new(); // tp, fp, fn, dup
    let mut doc_cm = [0usize; 4]; // tp, fp, fn, tn
    for doc in docs {
        let text = doc["text"].as_str().unwrap_or_default();
        let found = scanner.scan_text(text, Location::Body);
        let findings: Vec<Value> = found
            .iter()
            .map(|f| json!({"kind": f.kind.as_str(), "start": f.start, "end": f.end}))
            .collect();
        writeln!(out, "{}", json!({"id": doc["id"], "findings": findings}))
            .expect("write predictions");
        let gold: Vec<(Kind, usize, usize)> = doc["entities"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| {
                Some((
                    Kind::from_name(e["kind"].as_str()?)?,
                    e["start"].as_u64()? as usize,
                    e["end"].as_u64()? as usize,
                ))
            })
            .collect();
        let pred: Vec<(Kind, usize, usize)> =
            found.iter().map(|f| (f.kind, f.start, f.end)).collect();
        let overlap =
            |a: (usize, usize), b: (usize, usize)| a.1.min(b.1).saturating_sub(a.0.max(b.0));
        // Greedy one-to-one matching by overlap size, per kind (as score.py does).
        let mut pairs = Vec::new();
        for (gi, g) in gold.iter().enumerate() {
            for (pi, p) in pred.iter().enumerate() {
                let ov = overlap((g.1, g.2), (p.1, p.2));
                if g.0 == p.0 && ov > 0 {
                    pairs.push((std::cmp::Reverse(ov), gi, pi));
                }
            }
        }
        pairs.sort();
        let (mut gm, mut pm) = (HashSet::new(), HashSet::new());
        for (_, gi, pi) in pairs {
            if !gm.contains(&gi) && !pm.contains(&pi) {
                gm.insert(gi);
                pm.insert(pi);
            }
        }
        for (gi, g) in gold.iter().enumerate() {
            counts.entry(g.0).or_default()[if gm.contains(&gi) { 0 } else { 2 }] += 1;
        }
        for (pi, p) in pred.iter().enumerate() {
            if pm.contains(&pi) {
                continue;
            }
            let dup = gold
                .iter()
                .any(|g| g.0 == p.0 && overlap((g.1, g.2), (p.1, p.2)) > 0);
            counts.entry(p.0).or_default()[if dup { 3 } else { 1 }] += 1;
        }
        let gold_sensitive = doc["doc_label"] == "sensitive";
        let pred_sensitive = found.iter().any(|f| f.kind.is_protective());
        doc_cm[match (gold_sensitive, pred_sensitive) {
            (true, true) => 0,
            (false, true) => 1,
            (true, false) => 2,
            (false, false) => 3,
        }] += 1;
    }
    println!(
        "{:<17}{:>6}{:>6}{:>6}{:>6}{:>6}{:>8}{:>8}{:>8}",
        "kind", "gold", "TP", "FP", "FN", "dup", "prec", "recall", "F1"
    );
    let mut f1s = Vec::new();
    for kind in SCORED {
        let [tp, fp, fn_, dup] = counts.get(&kind).copied().unwrap_or_default();
        let (p, r, f) = prf(tp, fp, fn_);
        f1s.push(f);
        println!(
            "{:<17}{:>6}{:>6}{:>6}{:>6}{:>6}{:>8.3}{:>8.3}{:>8.3}",
            kind.as_str(),
            tp + fn_,
            tp,
            fp,
            fn_,
            dup,
            p,
            r,
            f
        );
    }
    let macro_f1 = f1s.iter().sum::<f64>() / f1s.len() as f64;
    let min_f1 = f1s.iter().copied().fold(1.0, f64::min);
    println!("macro-F1 {macro_f1:.3}   min-F1 {min_f1:.3}");
    println!(
        "documents: sensitive TP {} FP {} FN {} clean TN {}",
        doc_cm[0], doc_cm[1], doc_cm[2], doc_cm[3]
    );
    println!(
        "predictions written to target/dlp-predictions.jsonl (check: python3 <corpus>/score.py target/dlp-predictions.jsonl)"
    );
}

fn prf(tp: usize, fp: usize, fn_: usize) -> (f64, f64, f64) {
    let p = if tp + fp > 0 {
        tp as f64 / (tp + fp) as f64
    } else if fn_ == 0 {
        1.0
    } else {
        0.0
    };
    let r = if tp + fn_ > 0 {
        tp as f64 / (tp + fn_) as f64
    } else if fp == 0 {
        1.0
    } else {
        0.0
    };
    let f = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (p, r, f)
}

/// CPU time this thread has run, where the OS tells (Linux: `/proc/thread-self/schedstat`, in ns).
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        stat.split_whitespace().next()?.parse().ok()?,
    ))
}

/// Scans the corpus texts over and over on this thread for about two seconds of CPU time.
///
/// The figure is per second of CPU time on one core, so other work on a shared machine does not lower it;
/// the wall-clock figure is printed next to it.
fn throughput(scanner: &Scanner, docs: &[Value]) {
    let texts: Vec<&str> = docs.iter().filter_map(|d| d["text"].as_str()).collect();
    let total: usize = texts.iter().map(|t| t.len()).sum();
    let (wall, cpu) = (Instant::now(), thread_cpu_time());
    let cpu_elapsed = || {
        thread_cpu_time()
            .zip(cpu)
            .map(|(now, then)| now.saturating_sub(then))
    };
    let (mut bytes, mut rounds) = (0usize, 0usize);
    while cpu_elapsed().unwrap_or_else(|| wall.elapsed()) < Duration::from_secs(2) || rounds == 0 {
        for t in &texts {
            black_box(scanner.scan_text(black_box(t), Location::Body));
        }
        bytes += total;
        rounds += 1;
    }
    let wall_mbps = bytes as f64 / wall.elapsed().as_secs_f64() / 1e6;
    let build = if cfg!(debug_assertions) {
        "debug build: use --release for a real figure"
    } else {
        "release"
    };
    println!("\n== throughput ==");
    match cpu_elapsed() {
        Some(c) => println!(
            "text scanning: {:.1} MB/s per CPU-second on one thread ({wall_mbps:.1} MB/s wall clock; {rounds} rounds over {total} bytes, {build})",
            bytes as f64 / c.as_secs_f64() / 1e6
        ),
        None => println!(
            "text scanning: {wall_mbps:.1} MB/s wall clock on one thread ({rounds} rounds over {total} bytes, {build})"
        ),
    }
}

/// Letters and digits only, lower case, diacritics removed (the attachment labels' comparison).
fn norm_value(s: &str) -> String {
    s.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Per-file recall and file-level confusion on `attachments/`.
fn attachments(scanner: &Scanner, dir: &str) {
    let Ok(labels) = std::fs::read_to_string(format!("{dir}/attachments/labels.jsonl")) else {
        println!("\n== attachments: none found ==");
        return;
    };
    println!("\n== attachments ==");
    println!(
        "{:<22}{:<10}{:>8}{:>8}{:>7}{:>9}{:>10}  unscannable",
        "file", "label", "values", "found", "extra", "ms", "predicted"
    );
    let limits = Limits::default();
    let (mut all, mut hit) = (0usize, 0usize);
    let mut cm = [0usize; 4];
    for line in labels.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(label) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let file = label["file"].as_str().unwrap_or_default();
        let Ok(bytes) = std::fs::read(format!("{dir}/attachments/{file}")) else {
            continue;
        };
        let t = Instant::now();
        let found = scanner.scan_attachment(file, &bytes, &limits, &InProcess);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let found_values: HashSet<(Kind, String)> = found
            .iter()
            .map(|f| (f.kind, norm_value(&f.text)))
            .collect();
        let value_list = |key: &str| -> HashSet<(Kind, String)> {
            label[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| {
                    Some((
                        Kind::from_name(e["kind"].as_str()?)?,
                        norm_value(e["text"].as_str()?),
                    ))
                })
                .collect()
        };
        let wanted = value_list("entities");
        let ignored = value_list("ignore");
        let got = wanted.iter().filter(|v| found_values.contains(v)).count();
        let extra = found_values
            .iter()
            .filter(|v| v.0 != Kind::Unscannable && !wanted.contains(v) && !ignored.contains(v))
            .count();
        all += wanted.len();
        hit += got;
        let gold_sensitive = label["doc_label"] == "sensitive";
        let pred_sensitive = found.iter().any(|f| f.kind.is_protective());
        cm[match (gold_sensitive, pred_sensitive) {
            (true, true) => 0,
            (false, true) => 1,
            (true, false) => 2,
            (false, false) => 3,
        }] += 1;
        let unscannable: Vec<&str> = found.iter().filter_map(|f| f.reason.as_deref()).collect();
        println!(
            "{:<22}{:<10}{:>8}{:>8}{:>7}{:>9.1}{:>10}  {}",
            file,
            label["doc_label"].as_str().unwrap_or("?"),
            wanted.len(),
            got,
            extra,
            ms,
            if pred_sensitive { "sensitive" } else { "clean" },
            unscannable.join("; ")
        );
    }
    let recall = if all > 0 {
        hit as f64 / all as f64
    } else {
        1.0
    };
    println!("value recall {hit}/{all} = {recall:.3}");
    println!(
        "files: sensitive TP {} FP {} FN {} clean TN {}",
        cm[0], cm[1], cm[2], cm[3]
    );
}

/// One page of body text plus a ~2 MB DOCX, scanned as the server would.
fn typical_mail(scanner: &Scanner, docs: &[Value]) {
    let texts: Vec<&str> = docs.iter().filter_map(|d| d["text"].as_str()).collect();
    let mut body = String::new();
    for t in texts.iter().cycle().take(texts.len().max(1) * 4) {
        if body.len() >= 3_000 {
            break;
        }
        body.push_str(t);
        body.push_str("\n\n");
    }
    let docx = big_docx(&texts);
    let limits = Limits::default();
    let mut times = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        black_box(scanner.scan_text(&body, Location::Body));
        black_box(scanner.scan_attachment("rapport.docx", &docx, &limits, &InProcess));
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2].as_secs_f64() * 1e3;
    println!(
        "\n== typical mail ==\nbody {} bytes + DOCX {} bytes ({} MB of document XML): median {median:.1} ms",
        body.len(),
        docx.len(),
        DOCX_XML_BYTES / 1_000_000
    );
}

/// Size of the document XML in the typical-mail DOCX.
const DOCX_XML_BYTES: usize = 2_000_000;

/// A DOCX of ~2 MB: ~2 MB of paragraphs from the corpus (deflated) plus an incompressible "image".
fn big_docx(texts: &[&str]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#,
    );
    'fill: loop {
        for t in texts {
            for line in t.lines() {
                let esc = line
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;");
                xml.push_str(&format!(
                    r#"<w:p><w:r><w:t xml:space="preserve">{esc}</w:t></w:r></w:p>"#
                ));
                if xml.len() > DOCX_XML_BYTES {
                    break 'fill;
                }
            }
        }
    }
    xml.push_str("</w:body></w:document>");
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let deflated =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let ct = r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    zip.start_file("[Content_Types].xml", deflated)
        .expect("zip");
    zip.write_all(ct.as_bytes()).expect("zip");
    zip.start_file("word/document.xml", deflated).expect("zip");
    zip.write_all(xml.as_bytes()).expect("zip");
    // A pseudo-random image, so the file is ~2 MB like a real report with a picture or two.
    let compressed_so_far = 2_000_000usize.saturating_sub(xml.len() / 6);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let image: Vec<u8> = (0..compressed_so_far)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    zip.start_file("word/media/image1.png", stored)
        .expect("zip");
    zip.write_all(&image).expect("zip");
    zip.finish().expect("zip");
    out.into_inner()
}
