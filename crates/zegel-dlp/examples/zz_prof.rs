//! Temporary profiling helper (deleted before hand-off).
use std::hint::black_box;
use std::time::{Duration, Instant};
use zegel_dlp::{Location, Scanner, Words};
fn main() {
    let corpus = std::fs::read_to_string("/work/shared/dlp-corpus/corpus.jsonl").unwrap();
    let texts: Vec<String> = corpus
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let total: usize = texts.iter().map(|t| t.len()).sum();
    let big: String = texts.join("\n\n");
    let w = Words {
        trigger_words: vec!["Patiëntendossier".into()],
        activation_words: vec!["zegel-veilig".into()],
    };
    let only = std::env::args().nth(1).unwrap_or_default();
    for (name, s) in [
        ("words", Scanner::new(&w)),
        ("nowords", Scanner::new(&Words::default())),
    ] {
        for (mode, list) in [("docs", texts.clone()), ("big", vec![big.clone()])] {
            if !only.is_empty() && only != format!("{name}-{mode}") {
                continue;
            }
            let start = Instant::now();
            let mut bytes = 0;
            let rounds: usize = std::env::var("ROUNDS")
                .ok()
                .and_then(|r| r.parse().ok())
                .unwrap_or(0);
            let mut n = 0;
            while (rounds == 0 && start.elapsed() < Duration::from_millis(1500)) || n < rounds {
                n += 1;
                for t in &list {
                    black_box(s.scan_text(black_box(t), Location::Body));
                }
                bytes += total;
            }
            println!(
                "{name} {mode}: {:.1} MB/s",
                bytes as f64 / start.elapsed().as_secs_f64() / 1e6
            );
        }
    }
}
