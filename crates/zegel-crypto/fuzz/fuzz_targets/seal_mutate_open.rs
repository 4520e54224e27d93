//! Seals a plaintext chosen by the fuzzer, applies one damage chosen by the fuzzer, and checks
//! that an undamaged envelope opens to the plaintext and a damaged one never opens.
//!
//! Raw bytes (the `open_to_vec` target) almost never get past the key unwrap, because the fuzzer
//! cannot forge a tag; this target starts from valid envelopes so the chunk layer gets exercised.
//!
//! Input layout: `op (1) || position (4, BE) || length (3, BE) || pattern (rest)`. The plaintext
//! is `length % 300_000` bytes of the pattern repeated, so multi-chunk envelopes are reachable
//! with small inputs.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zegel_crypto::{
    CHUNK_SIZE, ChunkSealer, Context, DataKey, HEADER_LEN, Header, Kek, Keyring, TAG_LEN,
    open_to_vec,
};

const CTX: Context<'static> = Context {
    tenant: "fuzz",
    message: "fuzz",
    file: "fuzz",
};

struct Fixture {
    keyring: Keyring,
    key: DataKey,
    header: Header,
}

/// One data key and header per process, so sealing is deterministic within a fuzzing run.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keyring = Keyring::from_keks([
            Kek::from_bytes(1, [0x11; 32]),
            Kek::from_bytes(2, [0x22; 32]),
        ])
        .expect("two distinct ids");
        let key = DataKey::from_bytes([0x33; 32]);
        let header = Header::new(keyring.wrap(&key));
        Fixture {
            keyring,
            key,
            header,
        }
    })
}

fn seal(f: &Fixture, plaintext: &[u8]) -> Vec<u8> {
    let mut out = f.header.to_bytes().to_vec();
    let mut sealer = ChunkSealer::new(&f.header, &f.key, CTX);
    let mut pieces = plaintext.chunks(CHUNK_SIZE).peekable();
    if pieces.peek().is_none() {
        let mut buf = Vec::new();
        sealer.seal_chunk(&mut buf, true).expect("empty plaintext");
        out.extend_from_slice(&buf);
    }
    while let Some(p) = pieces.next() {
        let mut buf = p.to_vec();
        sealer
            .seal_chunk(&mut buf, pieces.peek().is_none())
            .expect("valid chunk");
        out.extend_from_slice(&buf);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let op = data[0];
    let pos = u32::from_be_bytes([data[1], data[2], data[3], data[4]]) as usize;
    let len = u32::from_be_bytes([0, data[5], data[6], data[7]]) as usize % 300_000;
    let pattern = if data.len() > 8 {
        &data[8..]
    } else {
        &[0u8][..]
    };
    let plaintext: Vec<u8> = pattern.iter().copied().cycle().take(len).collect();

    let f = fixture();
    let mut env = seal(f, &plaintext);
    let n = env.len();
    let damaged = match op % 5 {
        0 => false,
        1 => {
            // Flip at least one bit of one byte.
            env[pos % n] ^= data[8..].first().copied().unwrap_or(1).max(1);
            true
        }
        2 => {
            env.truncate(pos % n);
            true
        }
        3 => {
            env.extend_from_slice(&data[1..5]);
            true
        }
        _ => {
            // Swap two different chunks, if there are two.
            let full = CHUNK_SIZE + TAG_LEN;
            let chunks = (n - HEADER_LEN) / full;
            if chunks < 2 {
                return;
            }
            let (i, j) = (pos % chunks, (pos / chunks) % chunks);
            if i == j {
                return;
            }
            let (a, b) = (HEADER_LEN + i.min(j) * full, HEADER_LEN + i.max(j) * full);
            let (left, right) = env.split_at_mut(b);
            left[a..a + full].swap_with_slice(&mut right[..full]);
            true
        }
    };

    match open_to_vec(&f.keyring, CTX, &env) {
        Ok(opened) => {
            assert!(!damaged, "a damaged envelope opened");
            assert_eq!(opened, plaintext);
        }
        Err(e) => assert!(damaged, "an intact envelope failed: {e}"),
    }
});
