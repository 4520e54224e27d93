//! The S3 blob store against a real S3 API server: `ZEGEL_TEST_S3_ENDPOINT` (`cargo xtask test` starts
//! `moto_server` and sets it; `ZEGEL_TEST_REQUIRE_S3=1` makes its absence a failure). Each test works
//! in a bucket of its own.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use zegel_crypto::{DataKey, Header, Segment};
use zegel_tests::s3::Bucket;
use zegel_vault::s3::{PART_SIZE, S3Blobs, S3Config};
use zegel_vault::{Keys, SealContext};

/// A store in a fresh bucket on the test server (the same as `ZEGEL_BLOBS` names it), with keys; `None`
/// (skip) when there is no server.
struct Setup {
    bucket: Bucket,
    blobs: S3Blobs,
    keys: Arc<Keys>,
    _dir: tempfile::TempDir,
}

fn setup() -> Option<Setup> {
    let bucket = Bucket::create()?;
    let url = &bucket.settings()[0].1;
    let config = S3Config::from_url(url, "test".to_owned(), "test".to_owned().into()).unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let keys = Arc::new(
        Keys::load_or_create(dir.path(), None, &dir.path().join("keyring.json"), None).unwrap(),
    );
    Some(Setup {
        blobs: S3Blobs::new(&config).unwrap(),
        bucket,
        keys,
        _dir: dir,
    })
}

/// The bucket's raw objects, as anyone with the bucket's keys would read them.
async fn raw_objects(bucket: &Bucket) -> Vec<Vec<u8>> {
    let mut objects = Vec::new();
    for (key, _) in bucket.list().await {
        objects.push(bucket.get(&key).await);
    }
    objects
}

fn context() -> SealContext {
    SealContext {
        tenant: "t".to_owned(),
        message: "m".to_owned(),
        file: "f".to_owned(),
    }
}

/// Plaintext that says where it is: every 64 bytes name their offset.
fn plaintext(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    while out.len() < len {
        out.extend_from_slice(format!("GEHEIM-{:056}\n", out.len()).as_bytes());
    }
    out.truncate(len);
    out
}

async fn read_all(blobs: &S3Blobs, blob_id: &str, keys: Arc<Keys>) -> std::io::Result<Vec<u8>> {
    let mut stream =
        std::pin::pin!(blobs.open_segmented(blob_id, keys, context(), vec![Segment::FIRST]));
    let mut plain = Vec::new();
    while let Some(chunk) = stream.next().await {
        plain.extend_from_slice(&chunk?);
    }
    Ok(plain)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_of_several_parts_goes_in_sealed_and_comes_back_whole() {
    let Some(Setup {
        bucket,
        blobs,
        keys,
        _dir,
    }) = setup()
    else {
        return;
    };
    blobs.check().await.unwrap();

    // Three parts and a bit, written in pieces of an odd size.
    let plain = plaintext(3 * PART_SIZE + 12_345);
    let mut upload = blobs.start_upload(keys.keyring(), &DataKey::generate(), context());
    let blob_id = upload.blob_id.clone();
    for piece in plain.chunks(1_000_003) {
        upload.write(Bytes::copy_from_slice(piece)).await.unwrap();
    }
    assert_eq!(upload.finish().await.unwrap(), plain.len() as u64);
    assert!(read_all(&blobs, &blob_id, keys.clone()).await.unwrap() == plain);

    // Nothing in the bucket reads as the plaintext.
    let objects = raw_objects(&bucket).await;
    assert_eq!(objects.len(), 1, "one object, no probe left");
    assert!(
        !objects[0].windows(7).any(|w| w == b"GEHEIM-"),
        "the object is sealed"
    );

    // Key rotation: the header is written again under a new KEK, the chunks stay valid.
    let old = blobs.read_header(&blob_id).await.unwrap();
    let new_kek = keys.add_kek().unwrap();
    let keyring = keys.keyring();
    let mut header = Header::parse(&old).unwrap();
    let data_key = keyring.unwrap(&header.wrapped).unwrap();
    header.wrapped = keyring.wrap(&data_key);
    let rewrapped = header.to_bytes();
    blobs.rewrite_header(&blob_id, &rewrapped).await.unwrap();
    assert_eq!(blobs.read_header(&blob_id).await.unwrap(), rewrapped);
    assert_ne!(rewrapped, old);
    assert!(keyring.ids().contains(&new_kek));
    assert!(read_all(&blobs, &blob_id, keys.clone()).await.unwrap() == plain);

    // Gone when deleted; reading then fails rather than ending cleanly.
    blobs.delete(std::slice::from_ref(&blob_id)).await;
    assert!(read_all(&blobs, &blob_id, keys).await.is_err());
    assert!(raw_objects(&bucket).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_dropped_halfway_leaves_nothing_and_ids_are_checked() {
    let Some(Setup {
        bucket,
        blobs,
        keys,
        _dir,
    }) = setup()
    else {
        return;
    };
    let mut upload = blobs.start_upload(keys.keyring(), &DataKey::generate(), context());
    upload
        .write(Bytes::from(plaintext(2 * PART_SIZE)))
        .await
        .unwrap();
    drop(upload);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(raw_objects(&bucket).await.is_empty(), "aborted, no object");

    for bad in ["../../etc", "short", "zzzzzzzzzzzz"] {
        let error = blobs.read_header(bad).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{bad}");
    }
    let missing = blobs.read_header("0123456789abcdef").await.unwrap_err();
    assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
}

/// A resumable upload in a bucket: runs of chunks become pieces when synced; a run cut before its sync
/// leaves nothing; a piece completed but never recorded is replaced on resume; each resumed segment
/// seals under its own key; the whole reads back through the segments, and nothing in the bucket is
/// readable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumable_upload_goes_on_from_its_durable_chunks() {
    use zegel_crypto::CHUNK_SIZE;
    let Some(Setup {
        bucket,
        blobs,
        keys,
        _dir,
    }) = setup()
    else {
        return;
    };
    let blob_id = blobs.create_resumable(&keys.keyring()).await.unwrap();
    let plain = plaintext(6 * CHUNK_SIZE + 1000);
    let chunk = |i: usize| plain[i * CHUNK_SIZE..((i + 1) * CHUNK_SIZE).min(plain.len())].to_vec();

    // Segment 0: three chunks, synced.
    let mut appender = blobs
        .append(&blob_id, &keys, context(), 0, 0)
        .await
        .unwrap();
    for i in 0..3 {
        appender.seal(chunk(i), false).await.unwrap();
    }
    assert_eq!(appender.sync().await.unwrap(), 3);
    // Two more, then the connection breaks before the sync: not durable.
    appender.seal(chunk(3), false).await.unwrap();
    appender.close().await.unwrap();
    // Segment 1 from chunk 3: two chunks synced, but the database never heard (a crash).
    let mut lost = blobs
        .append(&blob_id, &keys, context(), 1, 3)
        .await
        .unwrap();
    lost.seal(chunk(3), false).await.unwrap();
    lost.seal(chunk(4), false).await.unwrap();
    assert_eq!(lost.sync().await.unwrap(), 5);
    lost.close().await.unwrap();
    // Segment 2 from chunk 3: a writer that will lose its lease with two chunks not yet written.
    let mut stale = blobs
        .append(&blob_id, &keys, context(), 2, 3)
        .await
        .unwrap();
    stale.seal(chunk(3), false).await.unwrap();
    stale.seal(chunk(4), false).await.unwrap();
    // Segment 3 from chunk 3 again (the durable count): the unrecorded piece goes, the rest follows.
    let mut appender = blobs
        .append(&blob_id, &keys, context(), 3, 3)
        .await
        .unwrap();
    for i in 3..6 {
        appender.seal(chunk(i), false).await.unwrap();
    }
    appender.seal(chunk(6), true).await.unwrap();
    assert_eq!(appender.sync().await.unwrap(), 7);
    appender.close().await.unwrap();
    // The stale writer completes its piece after all: it lands beside, not over, segment 3's.
    assert_eq!(stale.sync().await.unwrap(), 5);
    stale.close().await.unwrap();

    let segments = vec![
        Segment {
            number: 0,
            first_chunk: 0,
        },
        Segment {
            number: 3,
            first_chunk: 3,
        },
    ];
    let mut stream =
        std::pin::pin!(blobs.open_segmented(&blob_id, keys.clone(), context(), segments));
    let mut read = Vec::new();
    while let Some(piece) = stream.next().await {
        read.extend_from_slice(&piece.unwrap());
    }
    assert!(
        read == plain,
        "{} of {} bytes back",
        read.len(),
        plain.len()
    );
    let objects = raw_objects(&bucket).await;
    assert_eq!(
        objects.len(),
        4,
        "the header, two pieces and the stale writer's, which is not read"
    );
    assert!(
        objects
            .iter()
            .all(|o| !o.windows(7).any(|w| w == b"GEHEIM-")),
        "every object sealed"
    );
    // Appending from beyond what is stored is refused.
    assert!(
        blobs
            .append(&blob_id, &keys, context(), 4, 9)
            .await
            .is_err()
    );
    blobs.delete(std::slice::from_ref(&blob_id)).await;
    assert!(raw_objects(&bucket).await.is_empty());
}
