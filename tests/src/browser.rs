//! Headless Chromium over WebDriver, and the add-in as a test serves it: a copy of the built add-in
//! (`cargo xtask web`) whose pages load the fake Office host (`tests/fake-office/office.js`) instead of
//! Microsoft's Office.js, with a scenario (the draft, the language, roaming settings) written in front.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::free_port;

/// Office.js as production pages load it.
pub const OFFICE_JS: &str = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";
/// The fake Office host.
pub const FAKE_OFFICE: &str = include_str!("../fake-office/office.js");

/// The workspace's target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .unwrap()
                .join("target")
        })
}

/// The built add-in: `ZEGEL_TEST_ADDIN_DIR` (set by `cargo xtask test`), else `target/addin`.
pub fn addin_build_dir() -> PathBuf {
    let dir = std::env::var_os("ZEGEL_TEST_ADDIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("addin"));
    assert!(
        dir.join("pkg/zegel_web_bg.wasm").exists(),
        "{} holds no built pane: run `cargo xtask web` first",
        dir.display()
    );
    dir
}

/// Where screenshots of the browser tests go (test artifacts).
pub fn screenshot_dir() -> PathBuf {
    let dir = target_dir().join("addin-screenshots");
    std::fs::create_dir_all(&dir).expect("create the screenshot directory");
    dir
}

/// A copy of the built add-in whose pages load the fake Office host.
pub struct AddinSite {
    /// The directory (`ZEGEL_ADDIN_DIR` for the server).
    pub dir: tempfile::TempDir,
}

impl AddinSite {
    /// Copies the build and points its pages at `fake-office.js`.
    pub fn new() -> Self {
        let dir = tempfile::TempDir::new().unwrap();
        copy_dir(&addin_build_dir(), dir.path());
        for page in ["taskpane.html", "logblock.html", "commands.html"] {
            let path = dir.path().join(page);
            let html = std::fs::read_to_string(&path).unwrap();
            assert!(
                html.contains(OFFICE_JS),
                "{page} loads Office.js from Microsoft's CDN"
            );
            std::fs::write(&path, html.replace(OFFICE_JS, "fake-office.js")).unwrap();
            // The compressed twin still names the CDN; without it the server sends the rewritten page.
            let _ = std::fs::remove_file(dir.path().join(format!("{page}.gz")));
        }
        let site = Self { dir };
        site.set_scenario(&json!({}));
        site
    }

    /// Sets the draft and host the fake Office plays from the next page load on.
    pub fn set_scenario(&self, scenario: &Value) {
        let script = format!("window.ZEGEL_FAKE_SCENARIO = {scenario};\n{FAKE_OFFICE}");
        std::fs::write(self.dir.path().join("fake-office.js"), script).unwrap();
    }
}

impl Default for AddinSite {
    fn default() -> Self {
        Self::new()
    }
}

/// What the add-in's browser tests start from: a server with a tenant for `zorg.example` serving the
/// add-in site, its SMTP receiver, and a sender token.
pub struct AddinSetup {
    /// Where the server delivers.
    pub receiver: crate::SmtpReceiver,
    /// The running server.
    pub zegel: crate::Zegel,
    /// The add-in with the fake Office host.
    pub site: AddinSite,
    /// A sender token for the sender named at start.
    pub token: String,
}

impl AddinSetup {
    /// Starts it for `sender`, with `prepare` run on the installation before the server starts.
    pub fn start(sender: &str, prepare: impl FnOnce(&mut crate::Zegel)) -> Self {
        let receiver = crate::SmtpReceiver::start();
        let mut zegel = crate::Zegel::new(receiver.address);
        let site = AddinSite::new();
        zegel.env.push((
            "ZEGEL_ADDIN_DIR".to_owned(),
            site.dir.path().display().to_string(),
        ));
        zegel.add_tenant("Ziekenhuis", "zorg.example");
        let token = zegel.token(sender);
        prepare(&mut zegel);
        zegel.serve();
        Self {
            receiver,
            zegel,
            site,
            token,
        }
    }

    /// Plays `scenario` and opens the add-in's `page` in a new browser with `extra_args`.
    pub async fn open(&self, scenario: &Value, page: &str, extra_args: &[&str]) -> Browser {
        self.site.set_scenario(scenario);
        let browser = Browser::start(extra_args).await;
        browser
            .goto(&format!("{}/addin/{page}", self.zegel.base))
            .await;
        browser
    }
}

/// Waits until the pane shows its `name` stage.
pub async fn stage(browser: &Browser, name: &str) {
    browser
        .wait_for(
            &format!("document.querySelector('main[data-stage=\"{name}\"]')"),
            &format!("the {name} stage"),
        )
        .await;
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Debian's Chromium, headless, driven through its chromedriver.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    port: u16,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session with `extra_args` on top of the usual flags.
    pub async fn start(extra_args: &[&str]) -> Self {
        Self::start_with(extra_args, None).await
    }

    /// A headless Chromium that emulates a phone of `width` CSS pixels (a real viewport, so the page's
    /// media queries apply; a window cannot be made that narrow).
    pub async fn phone(width: u32) -> Self {
        let metrics = json!({"deviceMetrics": {"width": width, "height": 844, "pixelRatio": 1.0}});
        Self::start_with(&[], Some(metrics)).await
    }

    async fn start_with(extra_args: &[&str], mobile_emulation: Option<Value>) -> Self {
        let port = free_port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start /usr/bin/chromedriver (cargo xtask test installs chromium-driver)");
        crate::wait_until(Duration::from_secs(20), "chromedriver to listen", || {
            TcpStream::connect(("127.0.0.1", port)).ok()
        });
        let profile = tempfile::TempDir::new().unwrap();
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=420,900",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.extend(extra_args.iter().map(|s| s.to_string()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        let mut options = json!({ "binary": "/usr/bin/chromium", "args": args });
        if let Some(emulation) = mobile_emulation {
            options["mobileEmulation"] = emulation;
        }
        capabilities.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session with headless Chromium");
        let session = client.session_id().await.ok().flatten();
        Self {
            client,
            driver,
            port,
            session,
            _profile: profile,
        }
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its result.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Asserts that the page is written in `language` (its `lang`) and does not scroll sideways.
    pub async fn assert_fits(&self, what: &str, language: &str) {
        self.wait_for("document.readyState === 'complete'", what)
            .await;
        let lang = self
            .js("return document.documentElement.lang;", vec![])
            .await;
        assert_eq!(lang, Value::from(language), "{what}");
        let overflow = self
            .js(
                "return document.documentElement.scrollWidth - window.innerWidth;",
                vec![],
            )
            .await;
        assert!(
            overflow.as_i64().unwrap_or(1) <= 0,
            "{what} ({language}) scrolls sideways by {overflow} px"
        );
    }

    /// Polls `expression` (a JavaScript expression) until it is truthy, up to 30 s; returns its value.
    pub async fn wait_for(&self, expression: &str, what: &str) -> Value {
        self.wait_for_within(expression, what, Duration::from_secs(30))
            .await
    }

    /// Polls `expression` until it is truthy, up to `limit`; returns its value.
    pub async fn wait_for_within(&self, expression: &str, what: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        let script = format!("return ({expression}) || null;");
        loop {
            if let Ok(value) = self.client.execute(&script, vec![]).await
                && !value.is_null()
                && value != Value::Bool(false)
            {
                return value;
            }
            if Instant::now() > deadline {
                let page = self
                    .js(
                        "return document.body ? document.body.innerText : ''",
                        vec![],
                    )
                    .await;
                panic!("timed out waiting for {what} ({expression}); the page shows:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the element `css` and clicks it.
    pub async fn click(&self, css: &str) {
        self.wait_for(&format!("document.querySelector({css:?})"), css)
            .await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Types `text` into the element `css` (keyboard events, as a person would).
    pub async fn type_into(&self, css: &str, text: &str) {
        self.wait_for(&format!("document.querySelector({css:?})"), css)
            .await;
        let element = self.client.find(Locator::Css(css)).await.unwrap();
        element.clear().await.unwrap();
        element
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Whether the element `css` is enabled.
    pub async fn enabled(&self, css: &str) -> bool {
        self.wait_for(&format!("document.querySelector({css:?})"), css)
            .await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .is_enabled()
            .await
            .unwrap()
    }

    /// The fake Office host's record of the draft.
    pub async fn office_state(&self) -> Value {
        self.js("return window.__fakeOffice.state();", vec![]).await
    }

    /// Chooses one small file for the page's `#files` picker as a person would (a `change` of the input).
    pub async fn choose_file(&self, name: &str, content: &str, mime: &str) {
        self.js(
            r#"
            const transfer = new DataTransfer();
            transfer.items.add(new File([arguments[1]], arguments[0], { type: arguments[2] }));
            const input = document.getElementById("files");
            input.files = transfer.files;
            input.dispatchEvent(new Event("change"));
            return true;
            "#,
            vec![json!(name), json!(content), json!(mime)],
        )
        .await;
    }

    /// Saves a screenshot as `<target>/addin-screenshots/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Ends the session (chromedriver then ends Chromium) and chromedriver.
    pub async fn close(mut self) {
        if self.client.clone().close().await.is_ok() {
            self.session = None;
        }
        self.stop_driver();
    }

    /// Ends the session without async (a test that panicked): a plain `DELETE /session/<id>`.
    fn delete_session(&mut self) {
        let Some(id) = self.session.take() else {
            return;
        };
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let request = format!(
                "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                self.port
            );
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut answer = Vec::new();
                let _ = stream.read_to_end(&mut answer);
            }
        }
    }

    fn stop_driver(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.driver.try_wait().ok().flatten().is_none() {
            self.delete_session();
            self.stop_driver();
        }
    }
}
