//! The server's secrets: the keyring of key-encryption keys (KEKs) and the key that signs sender tokens.
//!
//! On first start both are created in the data directory with mode 0600, unless the keyring is given by
//! `ZEGEL_KEYRING` (inline JSON) or `ZEGEL_KEYRING_FILE`. The KEKs never enter the database, so a copy of
//! the database and blob store alone decrypts nothing.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use secrecy::{ExposeSecret, SecretString};
use zegel_crypto::{CryptoError, DataKey, Keyring, TokenSigner, WrappedKey};

/// Where the keyring came from, which decides whether it can be reloaded and rotated.
#[derive(Debug, Clone)]
enum KeySource {
    File(PathBuf),
    Environment,
}

/// The loaded secrets.
pub struct Keys {
    keyring: RwLock<Arc<Keyring>>,
    source: KeySource,
    /// Signs and checks sender bearer tokens.
    pub signer: TokenSigner,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// Loads the keyring and signing key from `data_dir`, creating them on first start: the keyring from
    /// `keyring` (`ZEGEL_KEYRING`, inline JSON) when given, else from `keyring_file`.
    pub fn load_or_create(
        data_dir: &Path,
        keyring: Option<&SecretString>,
        keyring_file: &Path,
        signing_key: Option<[u8; 32]>,
    ) -> anyhow::Result<Self> {
        crate::private_fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let (keyring, source) = match keyring {
            Some(json) => (
                Keyring::from_json(json.expose_secret())
                    .context("ZEGEL_KEYRING is not a valid keyring")?,
                KeySource::Environment,
            ),
            None => {
                let path = keyring_file;
                if !path.exists() {
                    write_private(path, Keyring::new_with_generated().to_json().as_bytes())?;
                    tracing::info!("created a new keyring");
                }
                (read_keyring(path)?, KeySource::File(path.to_owned()))
            }
        };
        // Given (every instance of a cluster the same), or kept in the data directory.
        let secret = match signing_key {
            Some(secret) => secret,
            None => {
                let signing_path = data_dir.join("token-signing.key");
                if !signing_path.exists() {
                    write_private(&signing_path, &TokenSigner::generate_secret())?;
                }
                fs::read(&signing_path)
                    .with_context(|| format!("cannot read {}", signing_path.display()))?
                    .try_into()
                    .map_err(|_| {
                        anyhow::anyhow!("{} must hold exactly 32 bytes", signing_path.display())
                    })?
            }
        };
        Ok(Self {
            keyring: RwLock::new(Arc::new(keyring)),
            source,
            signer: TokenSigner::new(secret),
        })
    }

    /// The current keyring.
    pub fn keyring(&self) -> Arc<Keyring> {
        self.keyring.read().expect("keyring lock poisoned").clone()
    }

    /// Runs `open` with the keyring; when it fails for a KEK id this process does not know yet (added by
    /// `zegel admin rotate-kek` while the server runs), reloads the keyring once and runs it again. Every
    /// reader of sealed data goes through here (or [`Keys::unwrap`], [`crate::sealing::open_field`],
    /// [`crate::Blobs::open_plaintext`], which do).
    pub fn with_keyring<T>(
        &self,
        open: impl Fn(&Keyring) -> Result<T, CryptoError>,
    ) -> Result<T, CryptoError> {
        match open(&self.keyring()) {
            Err(CryptoError::UnknownKek(id)) => match self.reload() {
                Ok(()) => open(&self.keyring()),
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "the keyring cannot be reloaded"
                    );
                    Err(CryptoError::UnknownKek(id))
                }
            },
            result => result,
        }
    }

    /// Unwraps a message's data key (see [`Keys::with_keyring`]).
    pub fn unwrap(&self, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        let wrapped = WrappedKey::from_slice(wrapped)?;
        self.with_keyring(|keyring| keyring.unwrap(&wrapped))
    }

    /// Re-reads the keyring file, so a running server picks up a KEK that `zegel admin rotate-kek` added.
    pub fn reload(&self) -> anyhow::Result<()> {
        if let KeySource::File(path) = &self.source {
            let keyring = read_keyring(path)?;
            *self.keyring.write().expect("keyring lock poisoned") = Arc::new(keyring);
        }
        Ok(())
    }

    /// Adds a new KEK, saves the keyring, and returns the new key's id.
    pub fn add_kek(&self) -> anyhow::Result<u32> {
        let KeySource::File(path) = &self.source else {
            anyhow::bail!(
                "the keyring comes from ZEGEL_KEYRING; rotate it where it is kept, or use a keyring file"
            );
        };
        let mut keyring = read_keyring(path)?;
        let id = keyring.add_generated();
        write_private(path, keyring.to_json().as_bytes())?;
        *self.keyring.write().expect("keyring lock poisoned") = Arc::new(keyring);
        Ok(id)
    }
}

fn read_keyring(path: &Path) -> anyhow::Result<Keyring> {
    let json = fs::read_to_string(path)
        .with_context(|| format!("cannot read the keyring {}", path.display()))?;
    Keyring::from_json(&json).with_context(|| format!("{} is not a valid keyring", path.display()))
}

/// Writes a secret file atomically with mode 0600 (temporary file, fsync, rename).
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        crate::private_fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
