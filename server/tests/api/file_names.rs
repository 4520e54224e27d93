//! Spoofing file names: what a recipient sees and saves is neutralised everywhere (JSON access API,
//! download header, ZIP entries, portal page, the sender's answer and log & block), while the name the
//! sender gave stays sealed as it was.

use std::io::Read;

use serde_json::Value;

use crate::on_both;
use crate::support::{TestServer, secure_message};

/// (as sent, as shown and saved)
const NAMES: [(&str, &str); 5] = [
    ("factuur\u{202E}fdp.exe", "factuurfdp.exe"),
    ("CON.txt", "_CON.txt"),
    ("rapport\u{FF0E}pdf", "rapport_pdf"),
    ("in\u{200B}voice.pdf          .exe", "invoice.pdf.exe"),
    ("notes.txt:evil.exe", "notes.txt_evil.exe"),
];

on_both!(spoofing_file_names_are_neutralised, spoofed_names);
async fn spoofed_names(server: TestServer) {
    let files: Vec<(&str, Vec<u8>)> = NAMES
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (*name, format!("file {i}").into_bytes()))
        .collect();
    let created = server.send(&secure_message("jan@example.nl"), &files).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let answered: Vec<&str> = created["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    let shown: Vec<&str> = NAMES.iter().map(|(_, safe)| *safe).collect();
    assert_eq!(answered, shown, "the sender sees what recipients will see");

    // The recipient: JSON access API, portal page, download headers, ZIP entries.
    let link = server.link_for("jan@example.nl").await;
    let api = server.api_of(&link);
    assert_eq!(server.challenge(&api).await, 202);
    let password = server.password_for("jan@example.nl").await;
    assert_eq!(server.verify(&api, &password).await, 200);
    let message: Value = server
        .client
        .get(format!("{api}/message"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed: Vec<(String, String)> = message["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                f["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(),
        shown
    );
    for ((id, name), (i, _)) in listed.iter().zip(NAMES.iter().enumerate()) {
        let download = server
            .client
            .post(format!("{api}/files/{id}"))
            .send()
            .await
            .unwrap();
        let disposition = download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        let encoded: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert!(
            disposition.ends_with(&format!("filename*=UTF-8''{encoded}")),
            "{disposition}"
        );
        assert!(
            !disposition.contains("%E2%80%AE"),
            "no right-to-left override"
        );
        assert_eq!(download.text().await.unwrap(), format!("file {i}"));
    }
    let zip_bytes = server
        .client
        .post(format!("{api}/files.zip"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.to_vec())).unwrap();
    let mut entries: Vec<String> = archive.file_names().map(str::to_owned).collect();
    entries.sort();
    let mut expected: Vec<String> = shown.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(entries, expected);
    let mut first = String::new();
    archive
        .by_name("factuurfdp.exe")
        .unwrap()
        .read_to_string(&mut first)
        .unwrap();
    assert_eq!(first, "file 0");
    let page = server
        .client
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains('\u{202E}') && !page.contains('\u{200B}'));

    // The sender's log & block shows the safe names too.
    let token = server.token("arts@zorg.example").await;
    let id = created["id"].as_str().unwrap();
    let status: Value = server
        .client
        .get(format!("{}/api/v1/messages/{id}", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tracked: Vec<&str> = status["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(tracked, shown);

    // The original names stay sealed as the sender gave them.
    let rows = zegel_store::messages::files_of(&server.state.db, id)
        .await
        .unwrap();
    let tenant = zegel_store::tenants::tenant_for_domain(&server.state.db, "zorg.example")
        .await
        .unwrap()
        .unwrap();
    let sealed: Vec<String> = rows
        .iter()
        .map(|f| {
            zegel_vault::sealing::open_file_name(
                &server.state.keys,
                &tenant.id,
                id,
                &f.id,
                &f.sealed_name,
            )
            .unwrap()
        })
        .collect();
    let originals: Vec<&str> = NAMES.iter().map(|(original, _)| *original).collect();
    assert_eq!(sealed, originals);
}
