//! Round trips at and around the chunk boundaries, through every layer.

use super::{CTX, data, open_io, seal_io};
use crate::{
    CHUNK_SIZE, ChunkOpener, ChunkSealer, DataKey, HEADER_LEN, Header, Keyring, TAG_LEN,
    open_to_vec, plaintext_len, seal_to_vec, sealed_len,
};

const SIZES: [usize; 6] = [
    0,
    1,
    CHUNK_SIZE - 1,
    CHUNK_SIZE,
    CHUNK_SIZE + 1,
    3 * CHUNK_SIZE,
];

#[test]
fn vec_helpers_round_trip() {
    let ring = Keyring::new_with_generated();
    for len in SIZES {
        let key = DataKey::generate();
        let pt = data(len, len as u64);
        let sealed = seal_to_vec(&ring, &key, CTX, &pt);
        assert_eq!(sealed.len() as u64, sealed_len(len as u64), "len {len}");
        assert_eq!(plaintext_len(sealed.len() as u64), Some(len as u64));
        assert_eq!(open_to_vec(&ring, CTX, &sealed).unwrap(), pt, "len {len}");
    }
}

#[test]
fn io_adapters_round_trip() {
    let ring = Keyring::new_with_generated();
    let write_splits: [&[usize]; 3] = [&[], &[1, 4095, 70_000], &[CHUNK_SIZE]];
    let read_sizes: [&[usize]; 4] = [&[1 << 20], &[1], &[7, 13, 65_537], &[CHUNK_SIZE]];
    for len in SIZES {
        let key = DataKey::generate();
        let pt = data(len, len as u64 + 1);
        for splits in write_splits {
            let sealed = seal_io(&ring, &key, CTX, &pt, splits);
            assert_eq!(sealed.len() as u64, sealed_len(len as u64), "len {len}");
            // Both layers produce the same framing, so each opens the other's output.
            assert_eq!(open_to_vec(&ring, CTX, &sealed).unwrap(), pt);
            for sizes in read_sizes {
                // Reading byte by byte through 3 chunks is slow in debug builds; one pass of
                // that is enough.
                if sizes == [1] && len > CHUNK_SIZE + 1 {
                    continue;
                }
                let opened = open_io(&ring, CTX, &sealed, sizes).unwrap();
                assert_eq!(opened, pt, "len {len}, splits {splits:?}, reads {sizes:?}");
            }
        }
        let sealed = seal_to_vec(&ring, &key, CTX, &pt);
        assert_eq!(open_io(&ring, CTX, &sealed, &[3, 1000]).unwrap(), pt);
    }
}

#[test]
fn sans_io_layer_round_trip() {
    let key = DataKey::generate();
    let ring = Keyring::new_with_generated();
    let header = Header::new(ring.wrap(&key));
    let pt = data(2 * CHUNK_SIZE + 10, 9);
    let mut sealer = ChunkSealer::new(&header, &key, CTX);
    let mut sealed = header.to_bytes().to_vec();
    let mut pieces = pt.chunks(CHUNK_SIZE).peekable();
    while let Some(p) = pieces.next() {
        let mut buf = Vec::with_capacity(CHUNK_SIZE + TAG_LEN);
        buf.extend_from_slice(p);
        sealer
            .seal_chunk(&mut buf, pieces.peek().is_none())
            .unwrap();
        assert_eq!(buf.len(), p.len() + TAG_LEN);
        sealed.extend_from_slice(&buf);
    }
    assert!(sealer.is_finished());
    assert_eq!(open_to_vec(&ring, CTX, &sealed).unwrap(), pt);

    let parsed = Header::parse(&sealed).unwrap();
    let mut opener = ChunkOpener::new(&parsed, &ring.unwrap(&parsed.wrapped).unwrap(), CTX);
    let mut out = Vec::new();
    let mut body = sealed[HEADER_LEN..].chunks(CHUNK_SIZE + TAG_LEN).peekable();
    while let Some(c) = body.next() {
        assert!(!opener.is_finished());
        let mut buf = c.to_vec();
        opener.open_chunk(&mut buf, body.peek().is_none()).unwrap();
        out.extend_from_slice(&buf);
    }
    assert!(opener.is_finished());
    assert_eq!(out, pt);
}

#[test]
fn same_plaintext_seals_differently() {
    // Fresh salt and wrap nonce per envelope: equal plaintexts must not be recognisable.
    let ring = Keyring::new_with_generated();
    let key = DataKey::generate();
    let a = seal_to_vec(&ring, &key, CTX, b"same");
    let b = seal_to_vec(&ring, &key, CTX, b"same");
    assert_ne!(a[HEADER_LEN..], b[HEADER_LEN..]);
}
