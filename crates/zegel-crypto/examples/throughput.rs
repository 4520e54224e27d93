//! Single-thread throughput of the sans-IO chunk layer, in memory.
//!
//! Seals `ZEGEL_BENCH_BYTES` bytes (default 1 GiB) chunk by chunk with [`ChunkSealer`], then opens
//! them again with [`ChunkOpener`], and prints `encrypt_mb_s=... decrypt_mb_s=...` (MB = 10^6
//! bytes). Run it in release mode:
//!
//! ```text
//! cargo run --release -p zegel-crypto --example throughput
//! ZEGEL_BENCH_BYTES=268435456 cargo run --release -p zegel-crypto --example throughput
//! ```
//!
//! On a busy machine the wall-clock figures understate the cipher's speed, so on Linux the
//! program also prints, on stderr, the figures for the time the thread actually spent on a CPU
//! (from `/proc/thread-self/schedstat`).
//!
//! The ciphertext is kept in memory (about the benchmark size) so that decryption has real
//! chunks to open; the plaintext is one random chunk copied in for every chunk sealed, which
//! keeps the copy a streaming caller also pays.

use std::time::{Duration, Instant};

use rand::RngCore;
use zegel_crypto::{
    CHUNK_SIZE, ChunkOpener, ChunkSealer, Context, DataKey, Header, Keyring, TAG_LEN,
};

fn main() {
    let total: u64 = std::env::var("ZEGEL_BENCH_BYTES")
        .ok()
        .map(|s| s.parse().expect("ZEGEL_BENCH_BYTES must be a byte count"))
        .unwrap_or(1 << 30);
    let chunks = total.div_ceil(CHUNK_SIZE as u64).max(1) as usize;
    let last_len = (total - (chunks as u64 - 1) * CHUNK_SIZE as u64) as usize;

    let keyring = Keyring::new_with_generated();
    let key = DataKey::generate();
    let header = Header::new(keyring.wrap(&key));
    let ctx = Context {
        tenant: "bench",
        message: "bench",
        file: "bench",
    };
    let mut source = vec![0u8; CHUNK_SIZE];
    rand::rngs::OsRng.fill_bytes(&mut source);

    // Allocate and touch every chunk buffer before timing, so that only the copy and the cipher
    // are measured, not the kernel's first-touch page faults: a streaming caller reuses one
    // buffer and never pays those.
    let mut sealed: Vec<Vec<u8>> = (0..chunks)
        .map(|_| {
            // Not `vec![0; n]`: calloc may hand out untouched zero pages, which would fault later.
            let mut buf = Vec::with_capacity(CHUNK_SIZE + TAG_LEN);
            buf.resize(CHUNK_SIZE + TAG_LEN, 0xa5);
            buf.clear();
            buf
        })
        .collect();

    let start = Instant::now();
    let cpu_start = cpu_time();
    let mut sealer = ChunkSealer::new(&header, &key, ctx);
    for (i, buf) in sealed.iter_mut().enumerate() {
        let last = i + 1 == chunks;
        buf.extend_from_slice(&source[..if last { last_len } else { CHUNK_SIZE }]);
        sealer.seal_chunk(buf, last).expect("seal");
    }
    let encrypt = start.elapsed();
    let encrypt_cpu = cpu_since(cpu_start);

    let start = Instant::now();
    let cpu_start = cpu_time();
    let mut opener = ChunkOpener::new(&header, &key, ctx);
    for (i, buf) in sealed.iter_mut().enumerate() {
        opener.open_chunk(buf, i + 1 == chunks).expect("open");
    }
    let decrypt = start.elapsed();
    let decrypt_cpu = cpu_since(cpu_start);
    assert!(opener.is_finished());

    // Check outside the timed loops that every chunk came back intact.
    for (i, buf) in sealed.iter().enumerate() {
        let len = if i + 1 == chunks {
            last_len
        } else {
            CHUNK_SIZE
        };
        assert_eq!(buf[..], source[..len], "chunk {i}");
    }

    let mb = total as f64 / 1e6;
    eprintln!("bytes={total} chunks={chunks}");
    if let (Some(e), Some(d)) = (encrypt_cpu, decrypt_cpu) {
        eprintln!(
            "on-cpu: encrypt_mb_s={:.0} decrypt_mb_s={:.0}",
            mb / e.as_secs_f64(),
            mb / d.as_secs_f64()
        );
    }
    println!(
        "encrypt_mb_s={:.0} decrypt_mb_s={:.0}",
        mb / encrypt.as_secs_f64(),
        mb / decrypt.as_secs_f64()
    );
}

/// Time this thread has spent running on a CPU, if the kernel reports it.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// On-CPU time since `start`, if both readings are available.
fn cpu_since(start: Option<Duration>) -> Option<Duration> {
    cpu_time()?.checked_sub(start?)
}
