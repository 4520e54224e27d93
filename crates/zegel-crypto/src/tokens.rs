//! Random tokens, codes, generated passwords and ids, and their comparison.
//!
//! Everything here draws from the operating system's random number generator ([`OsRng`]), never
//! from a user-space generator, so a fork or a snapshot of the process cannot repeat a secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The alphabet of [`generated_password`]: lower-case letters and digits without the look-alikes
/// `0`, `o`, `1` and `l`. It has exactly 32 symbols, so each character carries 5 bits.
const PASSWORD_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// Length of [`generated_password`]: 14 characters of 5 bits each give 70 bits.
const PASSWORD_LEN: usize = 14;

/// A 256-bit random token as URL-safe base64 without padding (43 characters).
///
/// Use it for links and session cookies; store only [`hash_token`] of it.
pub fn random_token() -> String {
    let mut bytes = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(bytes.as_mut());
    URL_SAFE_NO_PAD.encode(bytes.as_ref())
}

/// SHA-256 of a token: the value to store and look up, never the token itself.
///
/// Tokens from [`random_token`] have 256 bits of entropy (and any token this is used for must
/// have at least 128), so a fast hash is the right tool: there is nothing to brute-force, and a
/// slow password hash would only make every lookup expensive.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Constant-time equality of byte slices.
///
/// The time taken depends on the lengths but not on where the contents differ, so it is safe for
/// comparing secrets of a public length, such as codes or token hashes.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// An `digits`-digit numeric code, each digit uniform over `0..=9` (leading zeros included).
///
/// Digits come from random bytes by rejection sampling: bytes of 250 and above are discarded, so
/// `byte % 10` has no modulo bias. `numeric_code(0)` is the empty string.
pub fn numeric_code(digits: usize) -> String {
    (0..digits)
        .map(|_| char::from(b'0' + uniform_below(10)))
        .collect()
}

/// A generated password a person can type: 14 characters from lower-case letters and digits
/// without look-alikes (no `0`/`o`, `1`/`l`), uniform, 70 bits of entropy.
pub fn generated_password() -> String {
    (0..PASSWORD_LEN)
        .map(|_| char::from(PASSWORD_ALPHABET[usize::from(uniform_below(32))]))
        .collect()
}

/// A 128-bit random id as 32 lower-case hex characters, for non-secret identifiers.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A uniform random number in `0..n` for `1 <= n <= 256`, by rejection sampling of bytes.
fn uniform_below(n: u16) -> u8 {
    loop {
        let mut b = [0u8; 1];
        OsRng.fill_bytes(&mut b);
        if let Some(v) = accept_byte(n, b[0]) {
            return v;
        }
    }
}

/// Maps a uniform random byte to `0..n`, or `None` if the byte must be drawn again.
///
/// Bytes at or above the largest multiple of `n` that fits in a byte's range are rejected,
/// because keeping them would make the low values more likely than the high ones.
fn accept_byte(n: u16, byte: u8) -> Option<u8> {
    debug_assert!((1..=256).contains(&n));
    let limit = 256 - (256 % n);
    let v = u16::from(byte);
    (v < limit).then(|| u8::try_from(v % n).expect("v % n < n <= 256"))
}

/// Tests of token, code, password and id shapes and their uniformity.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shape_and_uniqueness() {
        let t = random_token();
        assert_eq!(t.len(), 43);
        assert!(
            t.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
            "{t}"
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&t).unwrap().len(), 32);
        assert_ne!(random_token(), t);
    }

    #[test]
    fn token_hash_is_sha256() {
        // SHA-256("abc") from FIPS 180-2.
        assert_eq!(
            hash_token("abc")[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "{:02x?}",
            hash_token("abc")
        );
        assert_ne!(hash_token("a"), hash_token("b"));
    }

    #[test]
    fn ct_eq_compares() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(ct_eq(b"", b""));
    }

    #[test]
    fn numeric_code_shape() {
        for digits in [0, 1, 6, 8, 40] {
            let c = numeric_code(digits);
            assert_eq!(c.len(), digits);
            assert!(c.bytes().all(|b| b.is_ascii_digit()), "{c}");
        }
    }

    /// Pearson's chi-squared statistic of observed counts against a uniform expectation.
    fn chi_squared(counts: &[u32]) -> f64 {
        let total: u32 = counts.iter().sum();
        let expected = f64::from(total) / counts.len() as f64;
        counts
            .iter()
            .map(|&c| (f64::from(c) - expected).powi(2) / expected)
            .sum()
    }

    #[test]
    fn numeric_code_is_roughly_uniform() {
        let mut counts = [0u32; 10];
        for _ in 0..2_000 {
            for b in numeric_code(10).bytes() {
                counts[usize::from(b - b'0')] += 1;
            }
        }
        // 9 degrees of freedom: 40 is exceeded by chance with probability below 1e-5. This
        // catches gross mistakes (a digit never drawn, a skewed mapping); the small bias of a
        // plain `byte % 10` is excluded by construction in `uniform_below` instead.
        let chi2 = chi_squared(&counts);
        assert!(chi2 < 40.0, "chi2 = {chi2}, counts = {counts:?}");
    }

    #[test]
    fn generated_password_shape() {
        let p = generated_password();
        assert_eq!(p.len(), PASSWORD_LEN);
        assert!(p.bytes().all(|c| PASSWORD_ALPHABET.contains(&c)), "{p}");
        for confusable in ['0', 'o', 'O', '1', 'l', 'I'] {
            assert!(!PASSWORD_ALPHABET.contains(&(confusable as u8)));
        }
        // 14 characters of log2(32) = 5 bits each.
        assert!(PASSWORD_LEN as f64 * (PASSWORD_ALPHABET.len() as f64).log2() >= 70.0);
        let mut counts = [0u32; 32];
        for _ in 0..1_000 {
            for c in generated_password().bytes() {
                let i = PASSWORD_ALPHABET.iter().position(|&a| a == c).unwrap();
                counts[i] += 1;
            }
        }
        // 31 degrees of freedom: 80 is exceeded by chance with probability below 1e-5.
        let chi2 = chi_squared(&counts);
        assert!(chi2 < 80.0, "chi2 = {chi2}");
    }

    #[test]
    fn random_id_shape() {
        let id = random_id();
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
        assert_ne!(random_id(), id);
    }

    #[test]
    fn byte_mapping_has_no_modulo_bias() {
        // Over all 256 byte values, every accepted outcome must occur equally often.
        for n in 1..=256u16 {
            let mut counts = vec![0u32; usize::from(n)];
            for b in 0..=255u8 {
                if let Some(v) = accept_byte(n, b) {
                    counts[usize::from(v)] += 1;
                }
            }
            assert!(counts.iter().all(|&c| c == counts[0]), "n = {n}");
            assert_eq!(counts[0], 256 / u32::from(n), "n = {n}");
        }
        assert_eq!(accept_byte(10, 249), Some(9));
        assert_eq!(accept_byte(10, 250), None);
    }

    #[test]
    fn uniform_below_covers_range() {
        let mut seen = [false; 7];
        for _ in 0..1_000 {
            seen[usize::from(uniform_below(7))] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(uniform_below(1), 0);
        let _ = uniform_below(256);
    }
}
