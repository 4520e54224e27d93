//! The malware scanner against a real clamd (`cargo xtask test` starts one with a test signature
//! that matches the EICAR test file, and sets `ZEGEL_TEST_CLAMD`); skipped without one unless
//! `ZEGEL_TEST_REQUIRE_CLAMD` is set.

use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream;
use zegel_service::malware::{Clamd, ClamdAddress, ScanError, Verdict};

/// The EICAR anti-virus test file, put together at run time so the repository holds no copy of it.
fn eicar() -> Vec<u8> {
    [
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
        "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!",
        "$H+H*",
    ]
    .concat()
    .into_bytes()
}

fn clamd() -> Option<Clamd> {
    match std::env::var("ZEGEL_TEST_CLAMD") {
        Ok(address) => Some(Clamd::new(ClamdAddress::parse(&address).unwrap())),
        Err(_) if std::env::var_os("ZEGEL_TEST_REQUIRE_CLAMD").is_some() => {
            panic!("ZEGEL_TEST_CLAMD is not set")
        }
        Err(_) => None,
    }
}

fn chunks(bytes: Vec<u8>, size: usize) -> impl futures_util::Stream<Item = io::Result<Bytes>> {
    let parts: Vec<io::Result<Bytes>> = bytes
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(parts)
}

#[tokio::test]
async fn eicar_is_found_and_clean_files_pass() {
    let Some(clamd) = clamd() else { return };
    clamd.ping().await.unwrap();
    let bad = eicar();
    let size = bad.len() as u64;
    // Split across chunks: clamd sees the stream whole.
    let verdict = clamd.scan(chunks(bad.clone(), 7), size).await.unwrap();
    assert!(
        matches!(&verdict, Verdict::Infected(name) if name.contains("EICAR")),
        "{verdict:?}"
    );
    // Inside a larger file too.
    let mut letter = b"Beste mevrouw De Vries,\n".repeat(10_000);
    letter.extend_from_slice(&bad);
    let size = letter.len() as u64;
    assert!(matches!(
        clamd.scan(chunks(letter, 65_536), size).await.unwrap(),
        Verdict::Infected(_)
    ));
    let clean = vec![b'x'; 3 << 20];
    assert_eq!(
        clamd.scan(chunks(clean, 65_536), 3 << 20).await.unwrap(),
        Verdict::Clean
    );
}

#[tokio::test]
async fn an_unreachable_or_silent_clamd_is_unavailable_not_clean() {
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gone = Clamd::new(ClamdAddress::Tcp(format!("127.0.0.1:{port}")));
    let result = gone.scan(chunks(eicar(), 64), 68).await;
    assert!(
        matches!(result, Err(ScanError::Unavailable(_))),
        "{result:?}"
    );

    // A daemon that accepts and never answers: the deadline ends the wait.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let hanging =
        Clamd::new(ClamdAddress::Tcp(address.to_string())).with_deadline(Duration::from_secs(1));
    let started = Instant::now();
    let result = hanging.scan(chunks(b"hallo".to_vec(), 64), 5).await;
    assert!(
        matches!(result, Err(ScanError::Unavailable(_))),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(hanging.ping().await.is_err());
}
