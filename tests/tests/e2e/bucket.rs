//! Blobs in S3-compatible storage (`ZEGEL_BLOBS=s3://…`) against a real S3 API server: a 1 GiB file
//! through the real binary in little memory, a resumable upload across `kill -9`, key rotation, and a
//! bucket that holds nothing readable.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};
use zegel_tests::s3::Bucket;
use zegel_tests::{SmtpReceiver, Zegel, poll, tus};

const MIB: u64 = 1 << 20;

/// Block `i` of a large file: it names itself, then bytes that differ per block.
fn block(i: u64) -> Bytes {
    let mut out = format!("Inhoud-PO12 blok {i:020}\n").into_bytes();
    let mut x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    while out.len() < MIB as usize {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(MIB as usize);
    Bytes::from(out)
}

/// A field of the server's `/proc/<pid>/status` in KiB.
fn memory_kib(zegel: &Zegel, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{}/status", zegel.pid().unwrap()))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// An installation with its blobs in `bucket`, serving, and a sender's token.
fn installation(receiver: &SmtpReceiver, bucket: &Bucket) -> (Zegel, String) {
    let mut zegel = Zegel::new(receiver.address);
    zegel.env.extend(bucket.settings());
    zegel.add_tenant("Ziekenhuis", "zorg.example");
    let token = zegel.token("anna@zorg.example");
    zegel.serve();
    (zegel, token)
}

/// Fails when any object in the bucket holds one of `secrets` as written.
async fn assert_nothing_readable(bucket: &Bucket, secrets: &[&str]) -> Vec<(String, u64)> {
    let objects = bucket.list().await;
    assert!(!objects.is_empty(), "the bucket holds the blobs");
    for (key, _) in &objects {
        let bytes = bucket.get(key).await;
        for secret in secrets {
            assert!(
                memchr::memmem::find(&bytes, secret.as_bytes()).is_none(),
                "{key} holds {secret} in plaintext"
            );
        }
    }
    objects
}

/// One message of `blocks` MiB, sent as the pane sends a large file (a resumable upload in PATCHes of
/// up to 128 MiB, streamed) with a small file beside it, to `to`; the recipient downloads both and
/// they come back byte for byte.
async fn round_trip(zegel: &Zegel, receiver: &SmtpReceiver, token: &str, blocks: u64, to: &str) {
    let id = tus::create(zegel, token, blocks * MIB, "scan.bin").await;
    let per_patch = blocks.min(128);
    for first in (0..blocks).step_by(per_patch as usize) {
        let stream = futures_util::stream::iter(
            (first..first + per_patch).map(|i| Ok::<_, std::io::Error>(block(i))),
        );
        let patched = tus::patch(
            zegel,
            token,
            &id,
            first * MIB,
            per_patch * MIB,
            reqwest::Body::wrap_stream(stream),
        )
        .await
        .unwrap();
        assert_eq!(patched.status(), 204, "the PATCH from block {first}");
    }
    let meta = json!({
        "subject": "Onderwerp-ZX81", "body_text": "Lichaam-QW77 met de scan",
        "kind": "secure_message", "recipients": [{"email": to}],
        "auth": {"level": "1fa", "password": "generated", "deliver": "email"}, "language": "nl",
        "uploads": [id],
    });
    let small = b"Inhoud-PO12 in het kleine bestand";
    let sent = zegel
        .send_message(token, &meta, &[("Bestandsnaam-KL44.txt", small.as_slice())])
        .await;
    assert_eq!(sent.status(), 201, "{}", sent.text().await.unwrap());

    let mut seen = Vec::new();
    zegel_tests::download_by_api(
        zegel,
        receiver,
        to,
        "Onderwerp-ZX81",
        async |name, response| {
            let mut hash = Sha256::new();
            let mut size = 0u64;
            let mut body = response.bytes_stream();
            while let Some(piece) = body.next().await {
                let piece = piece.unwrap();
                size += piece.len() as u64;
                hash.update(&piece);
            }
            seen.push((name.to_owned(), size, hash.finalize()));
        },
    )
    .await;
    seen.sort();
    let expected = {
        let mut hash = Sha256::new();
        for i in 0..blocks {
            hash.update(block(i));
        }
        hash.finalize()
    };
    assert_eq!(seen.len(), 2);
    assert_eq!(
        (seen[0].0.as_str(), seen[0].2),
        ("Bestandsnaam-KL44.txt", Sha256::digest(small))
    );
    assert_eq!(
        (seen[1].0.as_str(), seen[1].1, seen[1].2),
        ("scan.bin", blocks * MIB, expected),
        "the file of {blocks} MiB comes back byte for byte"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_file_goes_through_a_bucket_in_constant_memory_and_the_bucket_holds_nothing_readable()
 {
    let Some(bucket) = Bucket::create() else {
        return;
    };
    let receiver = SmtpReceiver::start();
    let (zegel, token) = installation(&receiver, &bucket);

    // A first message of 32 MiB brings the server to its working size: the password hash's memory,
    // the content filter, the bucket's connections, a piece being written and a range being read.
    round_trip(&zegel, &receiver, &token, 32, "eerste@ontvanger.example").await;
    let warm = memory_kib(&zegel, "VmHWM");
    // Then 1 GiB, up and down: memory does not grow with the file.
    round_trip(&zegel, &receiver, &token, 1024, "jan@ontvanger.example").await;
    let peak = memory_kib(&zegel, "VmHWM");
    eprintln!("server peak RSS: {warm} KiB after 32 MiB, {peak} KiB after 1 GiB up and down");
    assert!(
        peak <= warm + 24 * 1024,
        "the server grew from {warm} KiB (after 32 MiB) to {peak} KiB for 1 GiB"
    );
    // The server's own working size (this is a debug build; the release build's figure is in
    // `cargo xtask bench upload`) plus at most a few parts of the file.
    assert!(
        peak < 150 * 1024,
        "the server peaked at {peak} KiB for 1 GiB up and down"
    );
    assert!(
        !zegel.data.path().join("blobs").exists(),
        "nothing is written to the local disk"
    );

    let objects = assert_nothing_readable(
        &bucket,
        &[
            "Inhoud-PO12",
            "Onderwerp-ZX81",
            "Lichaam-QW77",
            "Bestandsnaam-KL44",
        ],
    )
    .await;
    assert!(
        objects.iter().all(|(key, _)| key.starts_with("zegel/")),
        "{objects:?}"
    );
    let stored: u64 = objects.iter().map(|(_, size)| size).sum();
    assert!(stored > (1024 + 32) * MIB, "{stored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_into_a_bucket_goes_on_after_kill_9_and_survives_key_rotation() {
    let Some(bucket) = Bucket::create() else {
        return;
    };
    let receiver = SmtpReceiver::start();
    let (mut zegel, token) = installation(&receiver, &bucket);
    let file: Vec<u8> = (0..20 * MIB as u32 + 12_345)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let length = file.len() as u64;
    let id = tus::create(&zegel, &token, length, "scan.pdf").await;

    // A PATCH announcing the whole file, of which 9 MiB and a bit arrive before the server dies.
    let stream = tus::patch_cut_off(&zegel, &token, &id, &file, 9 * MIB as usize + 1000).await;
    poll(Duration::from_secs(30), "8 MiB durable", async || {
        (tus::offset(&zegel, &token, &id).await? == 8 * MIB).then_some(())
    })
    .await;
    zegel.stop();
    drop(stream);

    zegel.serve();
    // The piece under way when the server died was never completed: the upload stands at the last
    // durable piece.
    assert_eq!(tus::offset(&zegel, &token, &id).await, Some(8 * MIB));
    // The dead request's writer lease runs out; until then the answer is 409, as for any second writer.
    let rest = poll(Duration::from_secs(40), "the rest taken", async || {
        let response = tus::patch(
            &zegel,
            &token,
            &id,
            8 * MIB,
            length - 8 * MIB,
            file[8 * MIB as usize..].to_vec(),
        )
        .await
        .ok()?;
        match response.status().as_u16() {
            409 => None,
            _ => Some(response),
        }
    })
    .await;
    assert_eq!(rest.status(), 204);
    assert_eq!(
        rest.headers()["upload-offset"].to_str().unwrap(),
        length.to_string()
    );

    let meta = json!({
        "subject": "Scan", "kind": "secure_message",
        "recipients": [{"email": "jan@ontvanger.example"}],
        "auth": {"level": "1fa", "password": "generated", "deliver": "email"}, "language": "nl",
        "uploads": [id],
    });
    let response = zegel
        .send_message(
            &token,
            &meta,
            &[("brief.txt", b"Inhoud-PO12 van de brief".as_slice())],
        )
        .await;
    assert_eq!(response.status(), 201);

    // A new KEK while the server runs: the blobs' headers are re-wrapped in the bucket.
    let rotated = zegel.run(&["admin", "rotate-kek"]);
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let report = String::from_utf8_lossy(&rotated.stderr).to_string();
    assert!(report.contains("2 blob headers"), "{report}");

    let mut files = Vec::new();
    zegel_tests::download_by_api(
        &zegel,
        &receiver,
        "jan@ontvanger.example",
        "Scan",
        async |name, response| {
            files.push((name.to_owned(), response.bytes().await.unwrap().to_vec()));
        },
    )
    .await;
    files.sort();
    assert_eq!(files.len(), 2);
    assert_eq!(
        files[0],
        ("brief.txt".to_owned(), b"Inhoud-PO12 van de brief".to_vec())
    );
    assert_eq!(files[1].0, "scan.pdf");
    assert!(files[1].1 == file, "the resumed upload comes back whole");
    assert_nothing_readable(&bucket, &["Inhoud-PO12", "scan.pdf"]).await;
}
