//! Zegel's secrets and what they seal, on the machine's disk: the keyring of key-encryption keys and the
//! token-signing key ([`Keys`]), the small sealed fields of a message ([`sealing`]), the blob store of
//! sealed files ([`Blobs`]: on local disk, [`LocalBlobs`], or in S3-compatible storage, [`s3`]), password hashing under a memory budget ([`PasswordBudget`]), and the
//! private files and directories they live in ([`private_fs`]).
//!
//! The envelope format itself is `zegel-crypto`'s; this crate decides where keys and blobs live and
//! reloads the keyring once when something was sealed with a KEK this process does not know yet (added by
//! `zegel admin rotate-kek` while the server runs) — in [`Keys::with_keyring`], the one place that does.

pub mod blobs;
pub mod hashing;
pub mod keys;
pub mod private_fs;
pub mod resumable;
pub mod s3;
pub mod sealing;
pub mod store;

pub use blobs::{LocalBlobs, SealContext, SealedUpload};
pub use hashing::PasswordBudget;
pub use keys::Keys;
pub use store::{Appender, Blobs, ResumableBlob, Upload};
