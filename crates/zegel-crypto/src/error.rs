//! The one error type of this crate.

use std::io;

/// Everything that can go wrong while sealing, opening, wrapping or verifying.
///
/// The variants are deliberately coarse where more detail would help an attacker: a failed tag
/// check says [`CryptoError::Decrypt`] whether the cause was tampering, a wrong key or a wrong
/// [`Context`](crate::Context), because the cipher cannot tell these apart either.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The envelope header is malformed: bad magic, unknown version or algorithm, or too short.
    #[error("bad envelope header: {0}")]
    BadHeader(&'static str),
    /// The data key was wrapped by a key-encryption key that the keyring does not hold.
    #[error("unknown key-encryption key id {0}")]
    UnknownKek(u32),
    /// The wrapped data key did not authenticate under the key-encryption key its id names.
    #[error("wrapped data key failed to unwrap")]
    Unwrap,
    /// A chunk failed authentication: it was modified, reordered, or opened with the wrong key
    /// or context.
    #[error("chunk failed authentication (tampered, wrong key or wrong context)")]
    Decrypt,
    /// The stream ended before a chunk marked as the last one authenticated.
    #[error("encrypted stream is truncated")]
    Truncated,
    /// Data follows the chunk marked as the last one.
    #[error("data after the final chunk")]
    TrailingData,
    /// The chunk counter would overflow; the stream is too long to continue.
    #[error("chunk counter overflow")]
    CounterOverflow,
    /// A chunk was passed to the sans-IO layer with a size or in a state the format forbids, for
    /// example a non-last chunk that is not exactly [`CHUNK_SIZE`](crate::CHUNK_SIZE) bytes.
    #[error("invalid chunk: {0}")]
    InvalidChunk(&'static str),
    /// An earlier error left this stream in an unknown state, so it refuses further work.
    #[error("stream unusable after an earlier error")]
    Poisoned,
    /// The underlying reader or writer failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The keyring could not be loaded or is inconsistent.
    #[error("keyring: {0}")]
    Keyring(String),
    /// A signed token is not in the `zgl1.<payload>.<mac>` shape.
    #[error("malformed token: {0}")]
    Token(&'static str),
    /// A signed token's MAC does not match.
    #[error("token signature mismatch")]
    Signature,
    /// A password hash could not be computed with the given parameters.
    #[error("password hashing: {0}")]
    PasswordHash(String),
}

impl CryptoError {
    /// Finds the [`CryptoError`] inside an [`io::Error`] returned by [`Encryptor`](crate::Encryptor)
    /// or [`Decryptor`](crate::Decryptor), so callers can tell tampering from a broken pipe.
    ///
    /// Returns `None` for plain I/O errors of the underlying reader or writer.
    pub fn from_io_error(err: &io::Error) -> Option<&CryptoError> {
        err.get_ref()?.downcast_ref::<CryptoError>()
    }
}

impl From<CryptoError> for io::Error {
    fn from(err: CryptoError) -> Self {
        match err {
            // An I/O error that merely passed through keeps its original kind, so callers see
            // the same error they would have seen without encryption in between.
            CryptoError::Io(inner) => inner,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// Tests of the conversion to and from `io::Error`.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_conversion_keeps_kind_and_source() {
        let err: io::Error = CryptoError::Truncated.into();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(matches!(
            CryptoError::from_io_error(&err),
            Some(CryptoError::Truncated)
        ));

        let plain = io::Error::new(io::ErrorKind::BrokenPipe, "gone");
        let err: io::Error = CryptoError::Io(plain).into();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        assert!(CryptoError::from_io_error(&err).is_none());
    }
}
