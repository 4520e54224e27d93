//! Zegel's cryptography: encryption at rest, key wrapping, tokens, codes and passwords.
//!
//! The server encrypts every message body, attachment and sealed database field as an
//! *envelope* (format below). Each message has its own random [`DataKey`]; the key is stored only
//! wrapped by a key-encryption key ([`Kek`]) from the server's [`Keyring`], inside each envelope's
//! [`Header`]. Chunks are sealed with a file key derived from the data key, a random salt and a
//! [`Context`] (tenant, message, file), so ciphertext cannot be moved from one file to another.
//!
//! Three layers do the same work for different callers:
//!
//! - [`ChunkSealer`] and [`ChunkOpener`], sans-IO, one chunk at a time, for async code;
//! - [`Encryptor`] and [`Decryptor`], `std::io` adapters that hold one chunk buffer each
//!   (about 64 KiB) whatever the size of the stream;
//! - [`seal_to_vec`] and [`open_to_vec`], for small envelopes held in memory.
//!
//! Besides envelopes the crate has the server's other secrets: [`random_token`] and
//! [`hash_token`] for links and sessions, [`numeric_code`] for one-time codes,
//! [`generated_password`], [`hash_password`] for passwords people choose, and [`TokenSigner`]
//! for signed, expiring bearer tokens.
//!
//! # Example
//!
//! ```
//! use std::io::{Read, Write};
//! use zegel_crypto::{Context, DataKey, Decryptor, Encryptor, Keyring};
//!
//! let keyring = Keyring::new_with_generated();
//! let key = DataKey::generate();
//! let ctx = Context { tenant: "acme", message: "m-1", file: "body" };
//!
//! let mut enc = Encryptor::new(Vec::new(), &keyring, &key, ctx)?;
//! enc.write_all(b"Hello, Zegel")?;
//! let sealed = enc.finish()?;
//! assert_eq!(sealed.len() as u64, zegel_crypto::sealed_len(12));
//!
//! let mut plain = Vec::new();
//! Decryptor::new(&sealed[..], &keyring, ctx)?.read_to_end(&mut plain)?;
//! assert_eq!(plain, b"Hello, Zegel");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Memory
//!
//! [`Encryptor`] buffers at most one chunk ([`CHUNK_SIZE`] + [`TAG_LEN`] bytes) and
//! [`Decryptor`] one chunk plus one byte of read-ahead, allocated once when they are built.
//! Neither grows with the input, so a 10 GiB attachment streams through about 64 KiB of buffer.
//!
//! # Secrets in memory
//!
//! [`DataKey`], [`Kek`], [`TokenSigner`] and the derived file keys are wiped when dropped, and so
//! are the adapters' plaintext buffers. The expanded AES and GHASH key schedules inside the
//! `aes-gcm` cipher objects are not, because those crates wipe them only with features this
//! workspace does not enable.
//!
#![doc = include_str!("../FORMAT.md")]

/// The error type shared by every operation.
mod error;
/// The fixed-length envelope header and its rewrap for KEK rotation.
mod header;
/// `std::io` adapters with constant memory.
mod io;
/// The server's set of key-encryption keys.
mod keyring;
/// Data keys, key-encryption keys and wrapping.
mod keys;
/// Whole-buffer sealing and opening.
mod oneshot;
/// Argon2id password hashing.
mod password;
/// Signed bearer tokens.
mod signing;
/// The sans-IO chunk layer and the file-key derivation.
mod stream;
/// Random tokens, codes, passwords and ids.
mod tokens;

/// Cross-module tests: round trips, tampering, rotation, test vectors, properties, memory.
#[cfg(test)]
mod tests;

pub use error::CryptoError;
pub use header::{
    ALGORITHM_AES256GCM_HKDF_SHA256, FORMAT_VERSION, Header, MAGIC, SALT_LEN, rewrap_header,
};
pub use io::{Decryptor, Encryptor};
pub use keyring::Keyring;
pub use keys::{DataKey, Kek, WRAPPED_KEY_LEN, WrappedKey};
pub use oneshot::{open_to_vec, seal_to_vec};
pub use password::{
    PASSWORD_M_COST_KIB, PASSWORD_P_COST, PASSWORD_T_COST, PasswordMemory, hash_password,
    hash_password_with_params, password_needs_rehash, verify_password,
};
pub use signing::TokenSigner;
pub use stream::{ChunkOpener, ChunkSealer, Context, Segment, plaintext_len, sealed_len};
pub use tokens::{ct_eq, generated_password, hash_token, numeric_code, random_id, random_token};

/// Plaintext bytes per chunk; every chunk but the last is exactly this long.
pub const CHUNK_SIZE: usize = 65536;
/// Length of the AES-GCM tag appended to every chunk.
pub const TAG_LEN: usize = 16;
/// Length of the envelope header.
pub const HEADER_LEN: usize = 102;
