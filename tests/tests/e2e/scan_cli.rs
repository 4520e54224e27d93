//! `zegel scan` from the command line: JSON lines, readable report, exit codes.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use zegel_tests::zegel_bin;

fn scan(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(zegel_bin())
        .arg("scan")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A usage error ends `zegel scan` before it reads its input: the pipe may be closed by then.
    if let Err(error) = child.stdin.take().unwrap().write_all(stdin) {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn json_lines_carry_byte_offsets_into_the_text() {
    let dir = tempfile::TempDir::new().unwrap();
    let text = "Geachte heer,\u{a0}het BSN is 111 222 333.\nPatie\u{308}ntendossier volgt. [zegel-veilig]\n";
    let path = dir.path().join("brief.txt");
    std::fs::write(&path, text).unwrap();
    let clean = dir.path().join("schoon.txt");
    std::fs::write(&clean, "Tot morgen!").unwrap();
    let path_text = path.display().to_string();
    let clean_text = clean.display().to_string();
    let (code, stdout, stderr) = scan(
        &[
            "--json",
            "--trigger",
            "Patiëntendossier",
            "--activation",
            "zegel-veilig",
            &path_text,
            &clean_text,
        ],
        b"",
    );
    assert_eq!(
        code, 1,
        "the policy forces protection for brief.txt: {stderr}"
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "one line per file");
    assert_eq!(lines[0]["file"], path_text.as_str());
    let findings = lines[0]["findings"].as_array().unwrap();
    for finding in findings {
        let (start, end) = (
            finding["start"].as_u64().unwrap() as usize,
            finding["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            &text.as_bytes()[start..end],
            finding["text"].as_str().unwrap().as_bytes(),
            "{finding}"
        );
        for key in ["kind", "confidence", "location"] {
            assert!(finding.get(key).is_some(), "{key} missing in {finding}");
        }
    }
    let kinds: Vec<&str> = findings
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["nl_bsn", "trigger_word", "activation_word"]);
    assert_eq!(lines[0]["decision"]["action"], "force");
    assert_eq!(lines[1]["findings"].as_array().unwrap().len(), 0);
    assert_eq!(lines[1]["decision"]["action"], "allow");
}

#[test]
fn recipients_are_options_and_the_exit_code_tells_force() {
    let bsn = b"Het BSN van mevrouw is 111222333.";
    // No recipients named: judged as going outside, but no recipient is invented.
    let (code, stdout, _) = scan(&["-"], bsn);
    assert_eq!(code, 1, "{stdout}");
    assert!(!stdout.contains("recipient"), "{stdout}");
    let (code, stdout, _) = scan(&["--json", "-"], bsn);
    assert_eq!(code, 1);
    assert!(stdout.contains("\"confidence\":0.97"), "{stdout}");
    assert!(!stdout.contains("external_recipients"), "{stdout}");
    // To a colleague the day-one policy protects nothing; to an outsider it forces 2FA.
    let colleague = [
        "--json",
        "--to",
        "collega@zorg.example",
        "--internal-domain",
        "zorg.example",
        "-",
    ];
    let (code, stdout, _) = scan(&colleague, bsn);
    assert_eq!(code, 0, "{stdout}");
    let line: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(line["decision"]["action"], "allow");
    let outsider = [
        "--to",
        "huisarts@elders.example",
        "--internal-domain",
        "zorg.example",
        "-",
    ];
    let (code, stdout, _) = scan(&outsider, bsn);
    assert_eq!(code, 1);
    assert!(stdout.contains("1 external recipient"), "{stdout}");
    // A clean text exits 0; a wrong address is a usage error.
    assert_eq!(scan(&["-"], b"Tot morgen!").0, 0);
    let (code, _, stderr) = scan(&["--to", "geen adres", "-"], bsn);
    assert_eq!(code, 2);
    assert!(stderr.contains("--to"), "{stderr}");
}

#[test]
fn stdin_report_and_errors() {
    let (code, stdout, _) = scan(&["-"], b"IBAN: NL91ABNA0417164300");
    assert_eq!(code, 0);
    assert!(
        stdout.contains("iban") && stdout.contains("decision"),
        "{stdout}"
    );

    let (code, _, stderr) = scan(&["/no/such/file.txt"], b"");
    assert_ne!(code, 0);
    assert!(stderr.contains("/no/such/file.txt"), "{stderr}");
    let (code, _, stderr) = scan(&[], b"");
    assert_ne!(code, 0);
    assert!(stderr.contains("FILE"), "{stderr}");
    let (code, _, stderr) = scan(&["--policy", "/no/policy.json", "-"], b"x");
    assert_ne!(code, 0);
    assert!(stderr.contains("--policy"), "{stderr}");
}
