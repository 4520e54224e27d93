//! Temporary: mutation smoke test (deleted before hand-off).
use zegel_dlp::extract::{InProcessPdf, Limits, extract};
static CUR: std::sync::Mutex<Option<(String, Vec<u8>, std::time::Instant)>> =
    std::sync::Mutex::new(None);
fn main() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.ends_with("make.py"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    for e in std::fs::read_dir("/work/shared/dlp-corpus/attachments").unwrap() {
        let p = e.unwrap().path();
        files.push((
            p.file_name().unwrap().to_string_lossy().into_owned(),
            std::fs::read(&p).unwrap(),
        ));
    }
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let start = std::time::Instant::now();
    let mut x: u64 = 0x1234_5678_9abc_def1;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut n = 0u64;
    std::panic::set_hook(Box::new(|_| {}));
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(2));
            if let Some((name, b, t)) = CUR.lock().unwrap().clone() {
                if t.elapsed().as_secs() > 10 {
                    std::fs::write(format!("/tmp/hang_{name}"), &b).unwrap();
                    println!("HANG on {name} ({} bytes)", b.len());
                    std::process::exit(3);
                }
            }
        }
    });
    while start.elapsed().as_secs() < secs {
        let (name, bytes) = &files[(rnd() as usize) % files.len()];
        let mut b = bytes.clone();
        let flips = 1 + rnd() % 16;
        for _ in 0..flips {
            let i = (rnd() as usize) % b.len().max(1);
            if b.is_empty() {
                break;
            }
            match rnd() % 4 {
                0 => b[i] ^= 1 << (rnd() % 8),
                1 => b[i] = rnd() as u8,
                2 => {
                    let v = b[i];
                    b.insert(i, v);
                }
                _ => {
                    b.remove(i);
                }
            }
        }
        if rnd() % 10 == 0 {
            let cut = (rnd() as usize) % b.len().max(1);
            b.truncate(cut);
        }
        *CUR.lock().unwrap() = Some((name.clone(), b.clone(), std::time::Instant::now()));
        let t = std::time::Instant::now();
        let r = extract(name, &b, &Limits::default(), &InProcessPdf);
        let el = t.elapsed();
        if el.as_millis() > 500 {
            println!(
                "slow {name}: {el:?} problems {:?}",
                r.problems.iter().map(|p| &p.reason).collect::<Vec<_>>()
            );
            std::fs::write(format!("/tmp/slow_{n}_{name}"), &b).unwrap();
        }
        n += 1;
    }
    println!("{n} mutated files extracted in {secs}s");
}
