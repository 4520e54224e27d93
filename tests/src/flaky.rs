//! A network that breaks halfway through an upload, for the browser tests of resumable uploads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A TCP proxy in front of the server that, once `cut_after` bytes went up, drops every connection and
/// refuses new ones for two seconds: a network that breaks halfway through an upload.
pub struct FlakyProxy {
    /// The proxy's base URL, for the browser.
    pub base: String,
    /// Whether the network broke.
    pub cut: Arc<AtomicBool>,
}

impl FlakyProxy {
    /// A proxy to `target` (`host:port`) that breaks once `cut_after` bytes went up.
    pub async fn start(target: String, cut_after: u64) -> Self {
        let port = crate::free_port();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let up = Arc::new(AtomicU64::new(0));
        let generation = Arc::new(AtomicU64::new(0));
        let flag = cut.clone();
        tokio::spawn(async move {
            let down_until = Arc::new(std::sync::Mutex::new(None::<std::time::Instant>));
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                if down_until
                    .lock()
                    .unwrap()
                    .is_some_and(|until| std::time::Instant::now() < until)
                {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let up = up.clone();
                let flag = flag.clone();
                let generation = generation.clone();
                let down_until = down_until.clone();
                let born = generation.load(Ordering::SeqCst);
                tokio::spawn(async move {
                    let Ok(outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut in_read, mut in_write) = inbound.into_split();
                    let (mut out_read, mut out_write) = outbound.into_split();
                    let upward = async {
                        let mut buffer = vec![0u8; 64 * 1024];
                        loop {
                            let n = match in_read.read(&mut buffer).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            if generation.load(Ordering::SeqCst) != born {
                                return;
                            }
                            let total = up.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
                            if total > cut_after && !flag.swap(true, Ordering::SeqCst) {
                                // The network goes away: this and every open connection, for a while.
                                generation.fetch_add(1, Ordering::SeqCst);
                                *down_until.lock().unwrap() =
                                    Some(std::time::Instant::now() + Duration::from_secs(2));
                                return;
                            }
                            if out_write.write_all(&buffer[..n]).await.is_err() {
                                return;
                            }
                        }
                    };
                    let downward = async {
                        let mut buffer = vec![0u8; 64 * 1024];
                        loop {
                            let n = match out_read.read(&mut buffer).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            if generation.load(Ordering::SeqCst) != born
                                || in_write.write_all(&buffer[..n]).await.is_err()
                            {
                                return;
                            }
                        }
                    };
                    tokio::select! {
                        _ = upward => {}
                        _ = downward => {}
                    }
                });
            }
        });
        Self {
            base: format!("http://127.0.0.1:{port}"),
            cut,
        }
    }
}

/// The bytes of a large test file as the browser tests make them in the page ([`PATTERNED_JS`]): a PDF
/// header, then a pattern that repeats neither per chunk nor per record.
pub fn patterned(len: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..len)
        .map(|i| ((i as u64 * 7 + (i as u64 >> 12)) & 255) as u8)
        .collect();
    bytes[..9].copy_from_slice(b"%PDF-1.7\n");
    bytes
}

/// [`patterned`] in the page: `patterned(n)` answers a `Uint8Array`.
pub const PATTERNED_JS: &str = r#"
function patterned(n) {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = (i * 7 + Math.floor(i / 4096)) & 255;
    bytes.set(new TextEncoder().encode("%PDF-1.7\n"));
    return bytes;
}
"#;
