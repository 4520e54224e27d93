//! Feeds arbitrary bytes to `open_to_vec` (and the streaming `Decryptor`) under a fixed keyring:
//! neither may panic, whatever the input, and both must agree on what they accept.
//!
//! The keyring holds KEKs 1 and 2 with fixed material, so the fuzzer can reach the chunk layer
//! once it has found (or been seeded with) an envelope whose wrapped key authenticates.

#![no_main]

use std::io::Read;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zegel_crypto::{Context, Decryptor, Kek, Keyring, open_to_vec};

const CTX: Context<'static> = Context {
    tenant: "fuzz",
    message: "fuzz",
    file: "fuzz",
};

fn keyring() -> &'static Keyring {
    static KEYRING: OnceLock<Keyring> = OnceLock::new();
    KEYRING.get_or_init(|| {
        Keyring::from_keks([
            Kek::from_bytes(1, [0x11; 32]),
            Kek::from_bytes(2, [0x22; 32]),
        ])
        .expect("two distinct ids")
    })
}

fuzz_target!(|data: &[u8]| {
    let whole = open_to_vec(keyring(), CTX, data);

    let streamed = Decryptor::new(data, keyring(), CTX).and_then(|mut d| {
        let mut out = Vec::new();
        d.read_to_end(&mut out).map(|_| out)
    });

    // The two layers implement one format: they must accept exactly the same inputs and return
    // the same plaintext.
    match (whole, streamed) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "open_to_vec and Decryptor disagree: {:?} vs {:?}",
            a.is_ok(),
            b.is_ok()
        ),
    }
});
