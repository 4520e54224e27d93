//! A bucket on the S3 API server `cargo xtask test` starts (`moto_server`): its endpoint comes from
//! `ZEGEL_TEST_S3_ENDPOINT`; with `ZEGEL_TEST_REQUIRE_S3=1` its absence is a failure, not a skip.

/// A fresh bucket: the settings that put a `zegel` installation's blobs in it, and what is needed to
/// read it raw.
pub struct Bucket {
    /// The S3 API endpoint (`http://127.0.0.1:PORT`).
    pub endpoint: String,
    /// The bucket's name.
    pub name: String,
}

impl Bucket {
    /// A new bucket on the test server, or `None` (the test skips) when there is no server.
    pub fn create() -> Option<Self> {
        let Ok(endpoint) = std::env::var("ZEGEL_TEST_S3_ENDPOINT") else {
            assert!(
                std::env::var("ZEGEL_TEST_REQUIRE_S3").is_err(),
                "ZEGEL_TEST_REQUIRE_S3 is set but ZEGEL_TEST_S3_ENDPOINT is not"
            );
            eprintln!("ZEGEL_TEST_S3_ENDPOINT is not set: skipping (cargo xtask test runs it)");
            return None;
        };
        let name = format!(
            "zegel-{:016x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                ^ u64::from(std::process::id()) << 40
        );
        // moto creates buckets on an unsigned PUT.
        let address = endpoint.trim_start_matches("http://").trim_end_matches('/');
        let mut stream = std::net::TcpStream::connect(address).expect("the S3 server answers");
        use std::io::{Read, Write};
        write!(
            stream,
            "PUT /{name} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        Some(Self { endpoint, name })
    }

    /// The `ZEGEL_*` settings of an installation whose blobs live in this bucket under `zegel/`.
    pub fn settings(&self) -> Vec<(String, String)> {
        vec![
            (
                "ZEGEL_BLOBS".to_owned(),
                format!(
                    "s3://{}/zegel?endpoint={}&path_style=true",
                    self.name, self.endpoint
                ),
            ),
            ("ZEGEL_S3_ACCESS_KEY_ID".to_owned(), "test".to_owned()),
            ("ZEGEL_S3_SECRET_ACCESS_KEY".to_owned(), "test".to_owned()),
        ]
    }

    /// The bucket as anyone holding its keys reads it (requests signed, as the S3 API wants).
    fn raw(&self) -> impl object_store::ObjectStore {
        object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&self.name)
            .with_region("us-east-1")
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .build()
            .unwrap()
    }

    /// Every object's key and size.
    pub async fn list(&self) -> Vec<(String, u64)> {
        use futures_util::StreamExt;
        use object_store::ObjectStore;
        self.raw()
            .list(None)
            .map(|meta| {
                let meta = meta.unwrap();
                (meta.location.to_string(), meta.size)
            })
            .collect()
            .await
    }

    /// One object's bytes.
    pub async fn get(&self, key: &str) -> Vec<u8> {
        use object_store::ObjectStore;
        self.raw()
            .get(&object_store::path::Path::from(key))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    }
}
