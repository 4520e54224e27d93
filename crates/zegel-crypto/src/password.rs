//! Argon2id hashing of low-entropy secrets such as passwords that people choose.

use argon2::password_hash::{Output, ParamsString, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::rngs::OsRng;

use crate::CryptoError;

/// Argon2id memory cost in KiB (19 MiB), the OWASP recommendation.
pub const PASSWORD_M_COST_KIB: u32 = 19_456;
/// Argon2id iterations, the OWASP recommendation for 19 MiB.
pub const PASSWORD_T_COST: u32 = 2;
/// Argon2id parallelism.
pub const PASSWORD_P_COST: u32 = 1;

// Limits for parameters read back from a stored hash. A corrupted or planted hash with a huge
// memory cost would otherwise make verification allocate without bound and abort the process.
const MAX_M_COST_KIB: u32 = 1 << 20;
const MAX_T_COST: u32 = 64;
const MAX_P_COST: u32 = 16;

/// Hashes a password with Argon2id (m = 19 MiB, t = 2, p = 1) and a random salt, as a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
///
/// Use this for secrets people choose; random tokens use [`hash_token`](crate::hash_token).
pub fn hash_password(password: &str) -> String {
    PasswordMemory::new().hash(password)
}

/// Hashes a password with Argon2id and explicit parameters.
///
/// Meant for tests, which cannot afford 19 MiB per hash in debug builds, and for a future
/// increase of the defaults. [`verify_password`] reads the parameters from the PHC string, so
/// hashes with different parameters all verify.
pub fn hash_password_with_params(
    password: &str,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
) -> Result<String, CryptoError> {
    let params = Params::new(m_cost_kib, t_cost, p_cost, None)
        .map_err(|e| CryptoError::PasswordHash(e.to_string()))?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CryptoError::PasswordHash(e.to_string()))
}

/// Checks a password against a PHC string from [`hash_password`].
///
/// Returns `false` on a mismatch, on a malformed string, on any algorithm other than Argon2id and
/// on parameters too large to be ours, so a damaged database row denies access instead of
/// crashing the server.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordMemory::new().verify(password, phc)
}

/// Argon2id's working memory (19 MiB with the defaults), kept between hashes.
///
/// A thread that hashes many passwords should keep one: allocating and freeing 19 MiB per hash lets
/// the process grow by that much per hash for a while (the allocator keeps such blocks in its arenas
/// instead of returning or reusing them), where one kept block is reused every time.
#[derive(Debug, Default)]
pub struct PasswordMemory {
    blocks: Vec<Block>,
}

impl PasswordMemory {
    /// No memory yet; the first hash allocates it.
    pub fn new() -> Self {
        Self::default()
    }

    fn compute(
        &mut self,
        params: &Params,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), argon2::Error> {
        let blocks = params.block_count();
        if self.blocks.len() != blocks {
            self.blocks = vec![Block::default(); blocks];
        }
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into_with_memory(password, salt, out, &mut self.blocks[..])
    }

    /// [`hash_password`] in this memory.
    pub fn hash(&mut self, password: &str) -> String {
        let params = Params::new(PASSWORD_M_COST_KIB, PASSWORD_T_COST, PASSWORD_P_COST, None)
            .expect("the default Argon2 parameters are valid");
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt
            .as_salt()
            .decode_b64(&mut salt_bytes)
            .expect("a generated salt decodes");
        let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
            self.compute(&params, password.as_bytes(), salt_bytes, out)
                .map_err(|_| argon2::password_hash::Error::Crypto)
        })
        .expect("hashing with valid parameters succeeds");
        PasswordHash {
            algorithm: argon2::ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).expect("the parameters serialise"),
            salt: Some(salt.as_salt()),
            hash: Some(output),
        }
        .to_string()
    }

    /// [`verify_password`] in this memory: the comparison is constant-time.
    pub fn verify(&mut self, password: &str, phc: &str) -> bool {
        let Ok(hash) = PasswordHash::new(phc) else {
            return false;
        };
        let Some(params) = acceptable_params(&hash) else {
            return false;
        };
        if hash.version.is_some_and(|v| v != u32::from(Version::V0x13)) {
            return false;
        }
        let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
            return false;
        };
        let mut salt_bytes = [0u8; 64];
        let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
            return false;
        };
        let mut out = vec![0u8; expected.len()];
        if self
            .compute(&params, password.as_bytes(), salt_bytes, &mut out)
            .is_err()
        {
            return false;
        }
        Output::new(&out).is_ok_and(|actual| actual == expected)
    }
}

/// Whether a stored hash should be recomputed at the next successful login because it was made
/// with other parameters than the current defaults (or is not a valid Argon2id hash at all).
pub fn password_needs_rehash(phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return true;
    };
    match acceptable_params(&hash) {
        Some(p) => {
            hash.version != Some(Version::V0x13.into())
                || p.m_cost() != PASSWORD_M_COST_KIB
                || p.t_cost() != PASSWORD_T_COST
                || p.p_cost() != PASSWORD_P_COST
        }
        None => true,
    }
}

/// The parameters of an Argon2id hash, if they are within the limits this crate accepts.
fn acceptable_params(hash: &PasswordHash<'_>) -> Option<Params> {
    if hash.algorithm != argon2::ARGON2ID_IDENT {
        return None;
    }
    let params = Params::try_from(hash).ok()?;
    (params.m_cost() <= MAX_M_COST_KIB
        && params.t_cost() <= MAX_T_COST
        && params.p_cost() <= MAX_P_COST)
        .then_some(params)
}

/// Tests of password hashing, verification and rejection of bad hashes.
#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters so debug-build tests stay fast; the format is the same.
    fn cheap(password: &str) -> String {
        hash_password_with_params(password, 64, 1, 1).unwrap()
    }

    #[test]
    fn hash_and_verify_with_default_params() {
        let phc = hash_password("correct horse");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("correct horse ", &phc));
        assert!(!password_needs_rehash(&phc));
    }

    #[test]
    fn one_memory_serves_many_hashes_of_any_size() {
        let mut memory = PasswordMemory::new();
        let strong = memory.hash("correct horse");
        let weak = cheap("pw");
        for _ in 0..2 {
            assert!(memory.verify("correct horse", &strong));
            assert!(!memory.verify("correct horse!", &strong));
            assert!(memory.verify("pw", &weak));
            assert!(!memory.verify("pw!", &weak));
        }
        assert!(verify_password(
            "correct horse",
            &memory.hash("correct horse")
        ));
    }

    #[test]
    fn salts_differ_and_mismatches_fail() {
        let a = cheap("pw");
        let b = cheap("pw");
        assert_ne!(a, b);
        assert!(verify_password("pw", &a));
        assert!(verify_password("pw", &b));
        assert!(!verify_password("PW", &a));
        assert!(!verify_password("", &a));
        assert!(password_needs_rehash(&a));
    }

    #[test]
    fn malformed_and_foreign_hashes_are_rejected() {
        let good = cheap("pw");
        let argon2i = good.replacen("$argon2id$", "$argon2i$", 1);
        let huge = good.replacen("m=64,", "m=4000000000,", 1);
        for bad in [
            "",
            "plain",
            "$argon2id$",
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$",
            argon2i.as_str(),
            huge.as_str(),
            &good[..good.len() - 2],
        ] {
            assert!(!verify_password("pw", bad), "{bad}");
            assert!(password_needs_rehash(bad), "{bad}");
        }
    }

    #[test]
    fn invalid_params_are_an_error() {
        assert!(matches!(
            hash_password_with_params("pw", 1, 1, 1),
            Err(CryptoError::PasswordHash(_))
        ));
    }
}
