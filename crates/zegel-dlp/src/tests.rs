//! Whole-scanner tests: a text in, the findings out, as tables.

use crate::{Finding, Kind, Location, Scanner, Words};

fn scanner() -> Scanner {
    Scanner::new(&Words {
        trigger_words: vec!["Patiëntendossier".into()],
        activation_words: vec!["zegel-veilig".into()],
    })
    .with_today(2026, 6, 15)
}

fn scan(text: &str) -> Vec<(Kind, &str)> {
    let found = scanner().scan_text(text, Location::Body);
    for f in &found {
        assert_eq!(&text[f.start..f.end], f.text, "offsets point at the text");
        assert!((0.0..=1.0).contains(&f.confidence));
    }
    assert!(
        found.windows(2).all(|w| w[0].start <= w[1].start),
        "sorted by start"
    );
    found
        .iter()
        .map(|f| (f.kind, &text[f.start..f.end]))
        .collect()
}

use Kind::*;

#[test]
fn detectors_in_context() {
    let filler = "x".repeat(320);
    let far = format!("BSN bekend. {filler} Bestelling 123456782 geleverd.");
    let near = format!("BSN bekend. {} Nummer 123456782.", "x".repeat(250));
    let table: Vec<(&str, Vec<(Kind, &str)>)> = vec![
        (
            "Het BSN van mevrouw Jansen is 123456782.",
            vec![(NlBsn, "123456782")],
        ),
        ("BSN-nummer: 123 456 782", vec![(NlBsn, "123 456 782")]),
        (
            "burgerservicenummer 123\u{a0}456\u{a0}782",
            vec![(NlBsn, "123\u{a0}456\u{a0}782")],
        ),
        (
            "123.456.782 is het sofinummer",
            vec![(NlBsn, "123.456.782")],
        ),
        ("Op het paspoort: 1234.56.782", vec![(NlBsn, "1234.56.782")]),
        ("Bestelling 123456782 wordt geleverd.", vec![]),
        ("Het opgegeven BSN 123456789 klopt niet", vec![]),
        ("BSN 1234567820", vec![]),
        (far.as_str(), vec![]),
        (near.as_str(), vec![(NlBsn, "123456782")]),
        (
            "IBAN: NL91 ABNA 0417 1643 00.",
            vec![(Iban, "NL91 ABNA 0417 1643 00")],
        ),
        (
            "op nl91abna0417164300 gestort",
            vec![(Iban, "nl91abna0417164300")],
        ),
        ("Kenmerk NL91ABNA0417164301", vec![]),
        ("Artikel AB12 CDEF 3456", vec![]),
        ("Pnr: 811218-9876.", vec![(SePersonnummer, "811218-9876")]),
        (
            "Personnummer 19811218-9876",
            vec![(SePersonnummer, "19811218-9876")],
        ),
        ("Organisationsnummer 556036-0793", vec![]),
        (
            "Kaart 4111 1111 1111 1111, exp 12/28",
            vec![(CreditCard, "4111 1111 1111 1111")],
        ),
        (
            "Amex 3782-822463-10005",
            vec![(CreditCard, "3782-822463-10005")],
        ),
        ("Cadeaukaart 9894068203249179", vec![]),
        (
            "Bel 06-12345678 of +31 (0)20 123 4567.",
            vec![(NlPhone, "06-12345678"), (NlPhone, "+31 (0)20 123 4567")],
        ),
        ("Tel. (020) 123 4567", vec![(NlPhone, "(020) 123 4567")]),
        ("Ring +46 70 123 45 67", vec![]),
        ("Datum: 12-03-2024, KvK 10212416", vec![]),
        (
            "Mail jan@zkh-noordhaven.nl.",
            vec![(Email, "jan@zkh-noordhaven.nl")],
        ),
        (
            "Het Patiëntendossier-export",
            vec![(TriggerWord, "Patiëntendossier")],
        ),
        (
            "[ZEGEL-VEILIG] graag",
            vec![(ActivationWord, "ZEGEL-VEILIG")],
        ),
        ("", vec![]),
    ];
    for (text, want) in table {
        assert_eq!(scan(text), want, "{text:?}");
    }
}

#[test]
fn digits_inside_an_iban_belong_to_it() {
    // `0417 1643 00` alone is a valid geographic phone number shape.
    assert_eq!(scan("0417 1643 00"), vec![(NlPhone, "0417 1643 00")]);
    assert_eq!(
        scan("NL91 ABNA 0417 1643 00"),
        vec![(Iban, "NL91 ABNA 0417 1643 00")]
    );
    // A BSN-valid 9-digit group inside a grouped IBAN is not a BSN either.
    let text = "BSN? NL02 ABNA 0123 4567 89";
    assert!(
        scan(text).iter().all(|(k, _)| *k == Iban),
        "{:?}",
        scan(text)
    );
}

#[test]
fn phone_inside_an_address_is_the_address() {
    assert_eq!(
        scan("0612345678@sms.example.nl"),
        vec![(Email, "0612345678@sms.example.nl")]
    );
}

#[test]
fn offsets_survive_normalisation() {
    let text = "Åsa Öberg: het Patie\u{308}ntendossier, BSN 123 456 782 en ë 06-12345678";
    let got = scan(text);
    assert_eq!(
        got,
        vec![
            (TriggerWord, "Patie\u{308}ntendossier"),
            (NlBsn, "123 456 782"),
            (NlPhone, "06-12345678"),
        ]
    );
}

#[test]
fn odd_input_never_panics() {
    let s = scanner();
    let long_digits = "1".repeat(100_000);
    let long_spaced = "1 ".repeat(50_000);
    let inputs = [
        "\u{0}\u{1}+(@",
        "@@@@",
        "+",
        "(",
        "++31 6 12345678",
        "a@",
        "@b.nl",
        long_digits.as_str(),
        long_spaced.as_str(),
        "NL91",
        "NL9",
        "é1é2é3",
        "\u{308}\u{308}patiëntendossier",
        "𝟙𝟚𝟛𝟜𝟝𝟞𝟟𝟠𝟡",
    ];
    for text in inputs {
        let _ = s.scan_text(text, Location::Subject);
    }
}

#[test]
fn scanner_is_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Scanner>();
}

#[test]
fn findings_serialise_in_snake_case() {
    let f = Finding::unscannable(
        Location::Attachment {
            name: "a.zip".into(),
            path: vec!["b.zip".into()],
            page: None,
        },
        "encrypted archive",
    );
    let json = serde_json::to_value(&f).expect("serialises");
    assert_eq!(json["kind"], "unscannable");
    assert_eq!(json["location"]["type"], "attachment");
    assert_eq!(json["location"]["path"][0], "b.zip");
    assert_eq!(json["reason"], "encrypted archive");
    let body = serde_json::to_value(Location::Body).expect("serialises");
    assert_eq!(body, serde_json::json!({"type": "body"}));
    for k in Kind::ALL {
        assert_eq!(serde_json::to_value(k).expect("serialises"), k.as_str());
        assert_eq!(Kind::from_name(k.as_str()), Some(k));
    }
    assert!(!Kind::NlPhone.is_protective() && !Kind::Email.is_protective());
    assert!(Kind::Unscannable.is_protective() && Kind::ActivationWord.is_protective());
}
