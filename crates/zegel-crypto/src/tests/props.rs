//! Property tests: random sizes, write splits, read buffers and damage.
//!
//! Case counts are kept low because debug builds run AES-GCM slowly; the fixed-size tests cover
//! the chunk boundaries exactly, these cover everything in between.

use proptest::prelude::*;

use super::{CTX, data, open_io, seal_io};
use crate::{DataKey, HEADER_LEN, Keyring, open_to_vec, seal_to_vec, sealed_len};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 32,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn vec_round_trip(len in 0usize..300_000, seed in any::<u64>()) {
        let ring = Keyring::new_with_generated();
        let pt = data(len, seed);
        let sealed = seal_to_vec(&ring, &DataKey::generate(), CTX, &pt);
        prop_assert_eq!(sealed.len() as u64, sealed_len(len as u64));
        prop_assert_eq!(open_to_vec(&ring, CTX, &sealed).unwrap(), pt);
    }

    #[test]
    fn io_round_trip(
        len in 0usize..300_000,
        seed in any::<u64>(),
        splits in prop::collection::vec(1usize..100_000, 1..8),
        reads in prop::collection::vec(1usize..100_000, 1..8),
    ) {
        let ring = Keyring::new_with_generated();
        let key = DataKey::generate();
        let pt = data(len, seed);
        let sealed = seal_io(&ring, &key, CTX, &pt, &splits);
        prop_assert_eq!(sealed.len() as u64, sealed_len(len as u64));
        prop_assert_eq!(open_io(&ring, CTX, &sealed, &reads).unwrap(), pt.clone());
        prop_assert_eq!(open_to_vec(&ring, CTX, &sealed).unwrap(), pt);
    }

    #[test]
    fn any_bit_flip_after_the_magic_is_rejected(
        len in 0usize..140_000,
        pos_frac in 0.0f64..1.0,
        bit in 0u8..8,
    ) {
        // Bytes 0..6 are magic, version and algorithm, whose rejection is tested separately;
        // every other byte is authenticated one way or another.
        let ring = Keyring::new_with_generated();
        let mut sealed = seal_to_vec(&ring, &DataKey::generate(), CTX, &data(len, 1));
        let pos = 6 + ((sealed.len() - 6) as f64 * pos_frac) as usize;
        sealed[pos] ^= 1 << bit;
        prop_assert!(open_to_vec(&ring, CTX, &sealed).is_err());
        prop_assert!(open_io(&ring, CTX, &sealed, &[4096]).is_err());
    }

    #[test]
    fn any_truncation_is_rejected(len in 0usize..140_000, cut_frac in 0.0f64..1.0) {
        let ring = Keyring::new_with_generated();
        let sealed = seal_to_vec(&ring, &DataKey::generate(), CTX, &data(len, 2));
        let cut = (sealed.len() as f64 * cut_frac) as usize;
        prop_assume!(cut < sealed.len());
        prop_assert!(open_to_vec(&ring, CTX, &sealed[..cut]).is_err());
        if cut >= HEADER_LEN {
            prop_assert!(open_io(&ring, CTX, &sealed[..cut], &[1000]).is_err());
        }
    }
}
