//! KEK rotation: rewriting headers leaves bodies valid.

use super::{CTX, data};
use crate::{
    CHUNK_SIZE, CryptoError, DataKey, HEADER_LEN, Header, Kek, Keyring, open_to_vec, rewrap_header,
    seal_to_vec,
};

#[test]
fn rewrap_header_moves_to_newest_kek() {
    let mut ring = Keyring::new_with_generated();
    let key = DataKey::generate();
    let pt = data(CHUNK_SIZE + 123, 5);
    let old = seal_to_vec(&ring, &key, CTX, &pt);
    assert_eq!(Header::parse(&old).unwrap().wrapped.kek_id, 1);
    assert_eq!(rewrap_header(&ring, &old).unwrap(), None);

    assert_eq!(ring.add_generated(), 2);
    let new_header = rewrap_header(&ring, &old[..HEADER_LEN]).unwrap().unwrap();
    let parsed = Header::parse(&new_header).unwrap();
    assert_eq!(parsed.wrapped.kek_id, 2);
    // Only the KEK id and the wrapped key change; the salt and every chunk stay as they were.
    assert_eq!(parsed.salt, Header::parse(&old).unwrap().salt);
    assert_eq!(new_header[..6], old[..6]);
    assert_eq!(new_header[70..], old[70..HEADER_LEN]);

    let mut rotated = old.clone();
    rotated[..HEADER_LEN].copy_from_slice(&new_header);
    assert_eq!(open_to_vec(&ring, CTX, &rotated).unwrap(), pt);
    // The untouched old envelope still opens too, with KEK 1.
    assert_eq!(open_to_vec(&ring, CTX, &old).unwrap(), pt);
    // A second rotation pass finds nothing to do.
    assert_eq!(rewrap_header(&ring, &rotated).unwrap(), None);

    // Once KEK 1 is retired, only the rewrapped envelope opens.
    let only_2 = Keyring::from_keks([ring.get(2).unwrap().clone()]).unwrap();
    assert_eq!(open_to_vec(&only_2, CTX, &rotated).unwrap(), pt);
    assert!(matches!(
        open_to_vec(&only_2, CTX, &old),
        Err(CryptoError::UnknownKek(1))
    ));
}

#[test]
fn rewrap_header_needs_the_old_kek() {
    let ring = Keyring::new_with_generated();
    let sealed = seal_to_vec(&ring, &DataKey::generate(), CTX, b"x");
    let other = Keyring::from_keks([Kek::generate(2)]).unwrap();
    assert!(matches!(
        rewrap_header(&other, &sealed),
        Err(CryptoError::UnknownKek(1))
    ));
    assert!(matches!(
        rewrap_header(&ring, &sealed[..HEADER_LEN - 1]),
        Err(CryptoError::BadHeader(_))
    ));
}

#[test]
fn keyring_json_survives_rotation() {
    let mut ring = Keyring::new_with_generated();
    let key = DataKey::generate();
    let sealed = seal_to_vec(&ring, &key, CTX, b"kept across restarts");
    ring.add_generated();
    let reloaded = Keyring::from_json(&ring.to_json()).unwrap();
    assert_eq!(reloaded.ids(), vec![1, 2]);
    assert_eq!(
        open_to_vec(&reloaded, CTX, &sealed).unwrap(),
        b"kept across restarts"
    );
    let fresh = seal_to_vec(&reloaded, &key, CTX, b"new");
    assert_eq!(Header::parse(&fresh).unwrap().wrapped.kek_id, 2);
}
