//! Resumable uploads against the real binary: `kill -9` of the server in the middle of a `PATCH`, a
//! restart, and the client continues from the offset `HEAD` answers; the recipient downloads the very
//! bytes that were sent.

use std::time::Duration;

use serde_json::json;
use zegel_tests::{SmtpReceiver, Zegel, poll, tus, wait_until};

const CHUNK: u64 = 65_536;
/// A sealed chunk: the plaintext and its 16-byte tag.
const SEALED_CHUNK: u64 = CHUNK + 16;
const HEADER: u64 = 102;

fn file() -> Vec<u8> {
    (0..20 * 1024 * 1024 + 12_345u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect()
}

fn blob_files(zegel: &Zegel) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(zegel.data.path().join("blobs")) else {
        return out;
    };
    for dir in dirs.flatten().filter(|d| d.file_name() != "tmp") {
        out.extend(
            std::fs::read_dir(dir.path())
                .unwrap()
                .flatten()
                .map(|f| f.path()),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_goes_on_after_kill_9_of_the_server_and_arrives_intact() {
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    zegel.add_tenant("Ziekenhuis", "zorg.example");
    let token = zegel.token("anna@zorg.example");
    zegel.serve();
    let file = file();
    let length = file.len() as u64;

    let id = tus::create(&zegel, &token, length, "scan.pdf").await;

    // A PATCH announcing the whole file, of which 9 MiB and a bit arrive before the server dies.
    let stream = tus::patch_cut_off(&zegel, &token, &id, &file, 9 * 1024 * 1024 + 1000).await;
    // The first 8 MiB are durable; chunks past them are sealed and on disk, but not yet durable.
    poll(Duration::from_secs(30), "8 MiB durable", async || {
        (tus::offset(&zegel, &token, &id).await? == 8 * 1024 * 1024).then_some(())
    })
    .await;
    let blob = wait_until(Duration::from_secs(30), "the blob", || {
        blob_files(&zegel).into_iter().next()
    });
    wait_until(
        Duration::from_secs(30),
        "chunks past the durable offset",
        || {
            let len = std::fs::metadata(&blob).ok()?.len();
            (len > HEADER + (128 + 8) * SEALED_CHUNK).then_some(())
        },
    );
    zegel.stop();
    drop(stream);

    zegel.serve();
    let resume_at = tus::offset(&zegel, &token, &id)
        .await
        .expect("HEAD after the restart");
    assert_eq!(
        resume_at % CHUNK,
        0,
        "the offset stands on a whole sealed chunk"
    );
    assert!(
        (8 * 1024 * 1024..length).contains(&resume_at),
        "{resume_at}"
    );
    let rest = tus::patch(
        &zegel,
        &token,
        &id,
        resume_at,
        length - resume_at,
        file[resume_at as usize..].to_vec(),
    )
    .await
    .unwrap();
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
    let response = zegel.send_message(&token, &meta, &[]).await;
    assert_eq!(response.status(), 201);

    // The recipient, through the JSON access API.
    let mut files = Vec::new();
    zegel_tests::download_by_api(
        &zegel,
        &receiver,
        "jan@ontvanger.example",
        "Scan",
        async |name, response| {
            files.push((name.to_owned(), response.bytes().await.unwrap()));
        },
    )
    .await;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].0, "scan.pdf");
    assert!(
        files[0].1.as_ref() == file.as_slice(),
        "the downloaded bytes are the uploaded ones"
    );
}
