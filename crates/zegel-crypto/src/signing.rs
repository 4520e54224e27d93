//! Signed bearer tokens: a payload and its HMAC-SHA256 in one URL-safe string.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::CryptoError;

/// The version prefix of every signed token, including its separator.
const PREFIX: &str = "zgl1.";

/// Length of an HMAC-SHA256 tag.
const MAC_LEN: usize = 32;

/// Signs and verifies bearer tokens of the form `zgl1.<payload>.<mac>`.
///
/// `<payload>` is the caller's bytes and `<mac>` the HMAC-SHA256 of the text `zgl1.<payload>`,
/// both URL-safe base64 without padding. The MAC covers the encoded text rather than the raw
/// payload so that the version prefix is authenticated too and nothing is decoded before the MAC
/// has been checked.
///
/// The signer only does format and MAC: expiry and other claims are the caller's, inside the
/// payload, checked after [`TokenSigner::verify`] succeeds. The payload is readable by whoever
/// holds the token, so it must not contain secrets.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TokenSigner {
    secret: [u8; 32],
}

impl TokenSigner {
    /// A signer with the given 256-bit secret.
    pub fn new(secret: [u8; 32]) -> Self {
        Self { secret }
    }

    /// A fresh random secret for [`TokenSigner::new`], from the operating system.
    pub fn generate_secret() -> [u8; 32] {
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        secret
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC accepts keys of any length")
    }

    /// Signs `payload`: `"zgl1." + b64url(payload) + "." + b64url(mac)`.
    pub fn sign(&self, payload: &[u8]) -> String {
        let mut token = String::with_capacity(PREFIX.len() + payload.len() * 4 / 3 + 48);
        token.push_str(PREFIX);
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let mut mac = self.mac();
        mac.update(token.as_bytes());
        let tag = mac.finalize().into_bytes();
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(tag, &mut token);
        token
    }

    /// Checks a token's MAC in constant time and returns its payload.
    ///
    /// Fails with [`CryptoError::Token`] if the token is not in the signed shape and with
    /// [`CryptoError::Signature`] if the MAC does not match.
    pub fn verify(&self, token: &str) -> Result<Vec<u8>, CryptoError> {
        let rest = token
            .strip_prefix(PREFIX)
            .ok_or(CryptoError::Token("missing zgl1 prefix"))?;
        let (payload_b64, mac_b64) = rest
            .split_once('.')
            .ok_or(CryptoError::Token("missing MAC"))?;
        let signed = &token[..PREFIX.len() + payload_b64.len()];
        let tag = URL_SAFE_NO_PAD
            .decode(mac_b64)
            .map_err(|_| CryptoError::Token("MAC is not base64url"))?;
        if tag.len() != MAC_LEN {
            return Err(CryptoError::Token("MAC has the wrong length"));
        }
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        // verify_slice compares in constant time, so the comparison leaks nothing about how much
        // of a forged MAC was right.
        mac.verify_slice(&tag).map_err(|_| CryptoError::Signature)?;
        // The payload is authentic from here on; it decodes unless we signed garbage ourselves.
        URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| CryptoError::Token("payload is not base64url"))
    }
}

impl fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret must never reach logs.
        f.write_str("TokenSigner(<redacted>)")
    }
}

/// Tests of token signing, known answers and tamper rejection.
#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> TokenSigner {
        TokenSigner::new([42; 32])
    }

    #[test]
    fn sign_verify_round_trip() {
        let s = signer();
        for payload in [
            &b""[..],
            b"x",
            br#"{"sub":"alice@example.org","exp":1700000000}"#,
        ] {
            let t = s.sign(payload);
            assert!(t.starts_with("zgl1."));
            assert_eq!(t.matches('.').count(), 2);
            assert!(
                t.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(&c))
            );
            assert_eq!(s.verify(&t).unwrap(), payload);
        }
        assert_ne!(
            TokenSigner::generate_secret(),
            TokenSigner::generate_secret()
        );
    }

    #[test]
    fn known_answer() {
        // HMAC-SHA256(key = 32 x 0x2a, "zgl1.aGk"), computed independently with Python's hmac.
        assert_eq!(
            signer().sign(b"hi"),
            "zgl1.aGk.--pH_6tHuhbadYfpcEGc_g-0ZJhv_OHlMjqs0uOQtLc"
        );
    }

    #[test]
    fn tampering_is_rejected() {
        let s = signer();
        let t = s.sign(b"{\"exp\":1}");
        let (head, mac) = t.rsplit_once('.').unwrap();

        // Another payload with the old MAC.
        let forged = format!("zgl1.{}.{mac}", URL_SAFE_NO_PAD.encode(b"{\"exp\":9}"));
        assert!(matches!(s.verify(&forged), Err(CryptoError::Signature)));

        // Every single-character change of the MAC.
        for i in 0..mac.len() {
            let mut bytes = mac.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let t2 = format!("{head}.{}", String::from_utf8(bytes).unwrap());
            assert!(s.verify(&t2).is_err(), "position {i}");
        }

        // Another key.
        assert!(matches!(
            TokenSigner::new([43; 32]).verify(&t),
            Err(CryptoError::Signature)
        ));
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        let s = signer();
        let t = s.sign(b"p");
        let cases = [
            String::new(),
            "zgl1.".to_string(),
            t.replacen("zgl1.", "zgl2.", 1),
            t.replacen("zgl1.", "", 1),
            format!("{t}x"),
            format!("{t}="),
            t[..t.len() - 1].to_string(),
            format!("{t}.extra"),
            t.replace('.', "!"),
        ];
        for bad in &cases {
            assert!(s.verify(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_hides_secret() {
        assert_eq!(format!("{:?}", signer()), "TokenSigner(<redacted>)");
    }
}
