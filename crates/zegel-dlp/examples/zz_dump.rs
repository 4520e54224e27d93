//! Temporary: prints the extraction of files (deleted before hand-off).
use zegel_dlp::extract::{InProcessPdf, Limits, extract};
fn main() {
    for p in std::env::args().skip(1) {
        let bytes = std::fs::read(&p).unwrap();
        let t = std::time::Instant::now();
        let x = extract(&p, &bytes, &Limits::default(), &InProcessPdf);
        println!("=== {p} ({:?})", t.elapsed());
        for part in &x.parts {
            println!("--- {:?}\n{}", part.path, part.text);
        }
        for pr in &x.problems {
            println!("!!! {:?}: {}", pr.path, pr.reason);
        }
    }
}
