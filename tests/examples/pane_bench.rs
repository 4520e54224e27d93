//! `cargo xtask bench pane`: what the compose pane costs a sender before the password step — the bytes
//! transferred (gzip-encoded bodies as the server sends them, Office.js excluded: it comes from
//! Microsoft's CDN) and the time from navigation to a usable pane in headless Chromium — then the same
//! for the password-strength module the pane loads at the password step. Figures, not assertions.

use serde_json::json;
use zegel_tests::browser::{AddinSite, Browser};
use zegel_tests::{SmtpReceiver, Zegel};

const RUNS: usize = 5;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let receiver = SmtpReceiver::start();
    let mut zegel = Zegel::new(receiver.address);
    let site = AddinSite::new();
    zegel.env.push((
        "ZEGEL_ADDIN_DIR".to_owned(),
        site.dir.path().display().to_string(),
    ));
    zegel.add_tenant("Bench", "zorg.example");
    let token = zegel.token("anna@zorg.example");
    zegel.serve();
    site.set_scenario(&json!({
        "language": "en-US", "subject": "Bench", "body": "Hello",
        "to": [{"email": "jan@ontvanger.example"}], "roaming": {"zegelToken": token},
    }));
    let url = format!("{}/addin/taskpane.html", zegel.base);
    let mut ready_ms = Vec::new();
    let mut before_password = 0.0;
    let mut strength = 0.0;
    for run in 0..RUNS {
        // A fresh browser each run: nothing cached, as a sender's first open.
        let browser = Browser::start(&[]).await;
        browser.goto(&url).await;
        let ready = browser
            .wait_for("performance.getEntriesByName('zegel-ready')[0] && performance.getEntriesByName('zegel-ready')[0].startTime", "the pane")
            .await;
        ready_ms.push(ready.as_f64().unwrap());
        let bytes = "performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))\
                     .filter(e => !e.name.includes('fake-office')).reduce((n, e) => n + e.encodedBodySize, 0)";
        before_password = browser
            .wait_for(bytes, "resource timings")
            .await
            .as_f64()
            .unwrap();
        if run == 0 {
            browser.click("#toggle").await;
            browser.click("#password-custom").await;
            browser
                .type_into("#custom-password", "kaas-fiets-Tulp-regen-97")
                .await;
            browser
                .wait_for(
                    "document.querySelector('#strength[data-strength=\"green\"]')",
                    "the strength verdict",
                )
                .await;
            let all = browser
                .wait_for(bytes, "resource timings")
                .await
                .as_f64()
                .unwrap();
            strength = all - before_password;
        }
        browser.close().await;
    }
    ready_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "pane_transfer_before_password_kb={:.0}",
        before_password / 1024.0
    );
    println!("pane_target_kb=600");
    println!(
        "strength_module_transfer_kb={:.0} (loaded at the password step)",
        strength / 1024.0
    );
    println!(
        "pane_ready_ms_median={:.0} (navigation start to a usable pane, {RUNS} cold runs)",
        ready_ms[RUNS / 2]
    );
    println!(
        "pane_ready_ms_min={:.0} pane_ready_ms_max={:.0}",
        ready_ms[0],
        ready_ms[RUNS - 1]
    );
    println!("pane_ready_target_ms=1000");
}
