//! Table-driven tests of the policy decision.

use super::*;

use Action::*;
use Kind::*;
use Level::*;
use RecipientClass::{External as Ext, Internal as Int};

fn found(kind: Kind, text: &str) -> Finding {
    Finding {
        kind,
        text: text.into(),
        start: 0,
        end: text.len(),
        confidence: 1.0,
        location: Location::Body,
        reason: None,
    }
}

fn in_attachment(kind: Kind, text: &str, name: &str) -> Finding {
    Finding {
        location: Location::Attachment {
            name: name.into(),
            path: vec![],
            page: None,
        },
        ..found(kind, text)
    }
}

fn unscannable(reason: &str) -> Finding {
    Finding::unscannable(
        Location::Attachment {
            name: "a.zip".into(),
            path: vec![],
            page: None,
        },
        reason,
    )
}

fn care() -> ContentFilterPolicy {
    ContentFilterPolicy {
        trigger_words: vec![
            WordRule {
                word: "Patiëntendossier".into(),
                action: Auto,
                level: OneFa,
            },
            WordRule {
                word: "Uitslag".into(),
                action: Force,
                level: TwoFa,
            },
        ],
        activation_words: vec!["zegel-veilig".into()],
        ..ContentFilterPolicy::default()
    }
}

#[test]
fn decisions() {
    // (policy, findings, recipients, expected action, level, reasons as (kind, action, level, terms))
    type Row = (
        ContentFilterPolicy,
        Vec<Finding>,
        Vec<RecipientClass>,
        Action,
        Option<Level>,
        Vec<(Kind, Action, Level, Vec<&'static str>)>,
    );
    let table: Vec<Row> = vec![
        (care(), vec![], vec![Ext], Allow, None, vec![]),
        (
            care(),
            vec![found(NlPhone, "06-12345678"), found(Email, "a@b.nl")],
            vec![Ext],
            Allow,
            None,
            vec![],
        ),
        (
            care(),
            vec![found(NlBsn, "123456782")],
            vec![Ext],
            Force,
            Some(TwoFa),
            vec![(NlBsn, Force, TwoFa, vec!["123456782"])],
        ),
        (
            care(),
            vec![found(Iban, "NL91ABNA0417164300")],
            vec![Int, Ext],
            Auto,
            Some(OneFa),
            vec![(Iban, Auto, OneFa, vec!["NL91ABNA0417164300"])],
        ),
        (
            care(),
            vec![
                found(Iban, "NL91ABNA0417164300"),
                found(CreditCard, "4111111111111111"),
                found(Iban, "NL91ABNA0417164300"),
            ],
            vec![Ext],
            Force,
            Some(OneFa),
            vec![
                (CreditCard, Force, OneFa, vec!["4111111111111111"]),
                (Iban, Auto, OneFa, vec!["NL91ABNA0417164300"]),
            ],
        ),
        // The level is the highest among the reasons that ask for protection.
        (
            care(),
            vec![
                found(CreditCard, "4111111111111111"),
                found(SePersonnummer, "811218-9876"),
            ],
            vec![Ext],
            Force,
            Some(TwoFa),
            vec![
                (SePersonnummer, Force, TwoFa, vec!["811218-9876"]),
                (CreditCard, Force, OneFa, vec!["4111111111111111"]),
            ],
        ),
        // Internal recipients only: allowed, reasons still reported.
        (
            care(),
            vec![found(NlBsn, "123456782")],
            vec![Int, Int],
            Allow,
            None,
            vec![(NlBsn, Force, TwoFa, vec!["123456782"])],
        ),
        (
            care(),
            vec![found(NlBsn, "123456782")],
            vec![],
            Allow,
            None,
            vec![(NlBsn, Force, TwoFa, vec!["123456782"])],
        ),
        (
            ContentFilterPolicy {
                external_only: false,
                ..care()
            },
            vec![found(NlBsn, "123456782")],
            vec![Int],
            Force,
            Some(TwoFa),
            vec![(NlBsn, Force, TwoFa, vec!["123456782"])],
        ),
        // Trigger words: each configured word's own rule; spelling variants match the same rule.
        (
            care(),
            vec![
                found(TriggerWord, "Patiëntendossier"),
                found(TriggerWord, "PATIENTENDOSSIER"),
                found(TriggerWord, "Patiëntendossier"),
            ],
            vec![Ext],
            Auto,
            Some(OneFa),
            vec![(
                TriggerWord,
                Auto,
                OneFa,
                vec!["Patiëntendossier", "PATIENTENDOSSIER"],
            )],
        ),
        (
            care(),
            vec![
                found(TriggerWord, "patiëntendossier"),
                found(TriggerWord, "uitslag"),
            ],
            vec![Ext],
            Force,
            Some(TwoFa),
            vec![
                (TriggerWord, Force, TwoFa, vec!["uitslag"]),
                (TriggerWord, Auto, OneFa, vec!["patiëntendossier"]),
            ],
        ),
        // Activation word: always force, at the strongest other level, else 1FA; also for internal mail.
        (
            care(),
            vec![found(ActivationWord, "zegel-veilig")],
            vec![Int],
            Force,
            Some(OneFa),
            vec![(ActivationWord, Force, OneFa, vec!["zegel-veilig"])],
        ),
        (
            care(),
            vec![
                found(ActivationWord, "ZEGEL-VEILIG"),
                found(NlBsn, "123456782"),
            ],
            vec![Ext],
            Force,
            Some(TwoFa),
            vec![
                (NlBsn, Force, TwoFa, vec!["123456782"]),
                (ActivationWord, Force, TwoFa, vec!["ZEGEL-VEILIG"]),
            ],
        ),
        (
            ContentFilterPolicy {
                rules: vec![Rule {
                    kind: ActivationWord,
                    action: Notify,
                    level: TwoFa,
                }],
                ..care()
            },
            vec![found(ActivationWord, "zegel-veilig")],
            vec![Ext],
            Force,
            Some(TwoFa),
            vec![(ActivationWord, Force, TwoFa, vec!["zegel-veilig"])],
        ),
        // Unscannable parts: the reasons are the terms.
        (
            care(),
            vec![
                unscannable("encrypted archive"),
                unscannable("encrypted archive"),
                unscannable("zip bomb"),
            ],
            vec![Ext],
            Auto,
            Some(OneFa),
            vec![(
                Unscannable,
                Auto,
                OneFa,
                vec!["encrypted archive", "zip bomb"],
            )],
        ),
        // Notify only.
        (
            ContentFilterPolicy {
                rules: vec![Rule {
                    kind: NlPhone,
                    action: Notify,
                    level: OneFa,
                }],
                ..care()
            },
            vec![found(NlPhone, "06-12345678")],
            vec![Ext],
            Notify,
            Some(OneFa),
            vec![(NlPhone, Notify, OneFa, vec!["06-12345678"])],
        ),
        // A rule that allows is no reason.
        (
            ContentFilterPolicy {
                rules: vec![Rule {
                    kind: Iban,
                    action: Allow,
                    level: TwoFa,
                }],
                ..care()
            },
            vec![found(Iban, "NL91ABNA0417164300")],
            vec![Ext],
            Allow,
            None,
            vec![],
        ),
    ];
    for (n, (policy, findings, recipients, action, level, reasons)) in table.into_iter().enumerate()
    {
        let d = decide(&policy, &findings, &recipients, false);
        let got: Vec<(Kind, Action, Level, Vec<&str>)> = d
            .reasons
            .iter()
            .map(|r| {
                (
                    r.kind,
                    r.action,
                    r.level,
                    r.terms.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            (d.action, d.level, got),
            (action, level, reasons),
            "row {n}"
        );
    }
}

#[test]
fn warnings() {
    let findings = vec![
        in_attachment(NlBsn, "123456782", "a.pdf"),
        in_attachment(Iban, "NL91ABNA0417164300", "a.pdf"),
        in_attachment(Email, "x@y.nl", "b.docx"),
    ];
    let policy = ContentFilterPolicy {
        warn_external: true,
        warn_attachments: true,
        ..care()
    };
    let d = decide(&policy, &findings, &[Int, Ext, Ext], true);
    assert_eq!(
        d.warnings,
        vec![
            Warning::ExternalRecipients { count: 2 },
            Warning::Attachments { count: 2 }
        ]
    );
    let d = decide(&policy, &[], &[Int], false);
    assert!(d.warnings.is_empty());
    let quiet = ContentFilterPolicy {
        warn_external: false,
        warn_attachments: false,
        ..care()
    };
    assert!(decide(&quiet, &findings, &[Ext], true).warnings.is_empty());
}

#[test]
fn summaries() {
    let p = care();
    for (findings, recipients, want) in [
        (vec![], vec![Int], "No sensitive content found."),
        (
            vec![],
            vec![Ext],
            "No sensitive content found. It goes to 1 external recipient.",
        ),
        (
            vec![found(TriggerWord, "Patiëntendossier")],
            vec![Ext],
            "This message will be protected (1FA): your message contains sensitive terms: 'Patiëntendossier'. It goes to 1 external recipient.",
        ),
        (
            vec![
                found(NlBsn, "123456782"),
                found(NlBsn, "111222333"),
                found(TriggerWord, "Patiëntendossier"),
            ],
            vec![Ext, Ext],
            "Protection required (2FA): your message contains 2 Dutch citizen service numbers (BSN) and sensitive terms: 'Patiëntendossier'. It goes to 2 external recipients.",
        ),
        (
            vec![found(NlBsn, "123456782")],
            vec![Int],
            "No protection needed for internal recipients: your message contains a Dutch citizen service number (BSN).",
        ),
        (
            vec![
                found(ActivationWord, "zegel-veilig"),
                unscannable("encrypted archive"),
            ],
            vec![Ext],
            "Protection required (1FA): your message contains the request 'zegel-veilig' and attachments that could not be checked (encrypted archive). It goes to 1 external recipient.",
        ),
    ] {
        assert_eq!(decide(&p, &findings, &recipients, false).summary(), want);
    }
}

#[test]
fn defaults_and_serde() {
    let p = ContentFilterPolicy::default();
    assert_eq!(
        p.rule(NlBsn).map(|r| (r.action, r.level)),
        Some((Force, TwoFa))
    );
    assert_eq!(
        p.rule(SePersonnummer).map(|r| (r.action, r.level)),
        Some((Force, TwoFa))
    );
    assert_eq!(
        p.rule(CreditCard).map(|r| (r.action, r.level)),
        Some((Force, OneFa))
    );
    assert_eq!(
        p.rule(Iban).map(|r| (r.action, r.level)),
        Some((Auto, OneFa))
    );
    assert_eq!(
        p.rule(Unscannable).map(|r| (r.action, r.level)),
        Some((Auto, OneFa))
    );
    assert!(
        p.rule(NlPhone).is_none()
            && p.external_only
            && p.trigger_words.is_empty()
            && p.activation_words.is_empty()
    );
    let json = serde_json::to_value(&p).expect("serialises");
    assert_eq!(
        json["rules"][0],
        serde_json::json!({"kind": "nl_bsn", "action": "force", "level": "2fa"})
    );
    let back: ContentFilterPolicy = serde_json::from_value(json).expect("round trip");
    assert_eq!(back, p);
    let d = decide(&care(), &[found(NlBsn, "123456782")], &[Ext], false);
    let json = serde_json::to_value(&d).expect("serialises");
    assert_eq!(json["action"], "force");
    assert_eq!(json["level"], "2fa");
    assert_eq!(
        json["warnings"][0],
        serde_json::json!({"type": "external_recipients", "count": 1})
    );
    assert!(Allow < Notify && Notify < Auto && Auto < Force);
    let w = care().words();
    assert_eq!(w.trigger_words, ["Patiëntendossier", "Uitslag"]);
    assert_eq!(w.activation_words, ["zegel-veilig"]);
}

#[test]
fn scanner_and_policy_agree() {
    let p = care();
    let scanner = zegel_dlp::Scanner::new(&p.words());
    let text = "Het PATIE\u{308}NTENDOSSIER van mevrouw, BSN 123 456 782. [zegel-veilig]";
    let findings = scanner.scan_text(text, Location::Body);
    let d = decide(&p, &findings, &[Ext], false);
    assert_eq!((d.action, d.level), (Force, Some(TwoFa)));
    let kinds: Vec<Kind> = d.reasons.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [NlBsn, ActivationWord, TriggerWord]);
}

#[test]
fn shown_names_kinds_and_words_but_never_identifiers() {
    let p = care();
    let scanner = zegel_dlp::Scanner::new(&p.words());
    let text = "Patiëntendossier en PATIËNTENDOSSIER, BSN 123456782 en BSN 111222333, \
                NL91 ABNA 0417 1643 00. zegel-veilig";
    let d = decide(&p, &scanner.scan_text(text, Location::Body), &[Ext], false);
    let shown = d.shown();
    let json = serde_json::to_string(&shown).expect("serialises");
    assert!(
        !json.contains("123456782") && !json.contains("NL91"),
        "{json}"
    );
    let kinds: Vec<Kind> = shown.iter().map(|s| s.kind).collect();
    // The order of the reasons: strongest first.
    assert_eq!(kinds, [NlBsn, ActivationWord, Iban, TriggerWord]);
    assert!(shown[0].words.is_empty() && shown[2].words.is_empty());
    assert_eq!(shown[1].words, ["zegel-veilig"]);
    assert_eq!(shown[3].words, ["Patiëntendossier", "PATIËNTENDOSSIER"]);
}

#[test]
fn requirements() {
    use crate::message::MessageKind::{PublicFiles, SecureFiles, SecureMessage};
    fn in_subject(kind: Kind, text: &str) -> Finding {
        Finding {
            location: Location::Subject,
            ..found(kind, text)
        }
    }
    // (findings, recipients, expected kind and level, expected found as (kind, place))
    type Row = (
        Vec<Finding>,
        Vec<RecipientClass>,
        Option<(MessageKind, Level)>,
        Vec<(Kind, Place)>,
    );
    let table: Vec<Row> = vec![
        (vec![], vec![Ext], None, vec![]),
        // Auto and notify rules never force anything.
        (
            vec![
                found(Iban, "NL91ABNA0417164300"),
                found(TriggerWord, "Patiëntendossier"),
            ],
            vec![Ext],
            None,
            vec![],
        ),
        (
            vec![found(NlBsn, "111222333")],
            vec![Ext],
            Some((SecureMessage, TwoFa)),
            vec![(NlBsn, Place::Body)],
        ),
        (
            vec![in_subject(CreditCard, "4111111111111111")],
            vec![Ext],
            Some((SecureMessage, OneFa)),
            vec![(CreditCard, Place::Subject)],
        ),
        // Only attachments: secure files will do; the level is the strongest forced rule's.
        (
            vec![
                in_attachment(CreditCard, "4111111111111111", "a.pdf"),
                in_attachment(NlBsn, "111222333", "b.pdf"),
                in_attachment(NlBsn, "111222333", "c.pdf"),
                found(Iban, "NL91ABNA0417164300"),
            ],
            vec![Ext],
            Some((SecureFiles, TwoFa)),
            vec![(CreditCard, Place::Attachment), (NlBsn, Place::Attachment)],
        ),
        // Internal recipients only, external_only: nothing forced ...
        (vec![found(NlBsn, "111222333")], vec![Int], None, vec![]),
        // ... except by the activation word, which takes the strongest other level.
        (
            vec![
                found(ActivationWord, "zegel-veilig"),
                found(NlBsn, "111222333"),
            ],
            vec![Int],
            Some((SecureMessage, TwoFa)),
            vec![(ActivationWord, Place::Body)],
        ),
        (
            vec![in_attachment(ActivationWord, "zegel-veilig", "a.docx")],
            vec![Int, Ext],
            Some((SecureFiles, OneFa)),
            vec![(ActivationWord, Place::Attachment)],
        ),
        // A forced trigger word.
        (
            vec![in_subject(TriggerWord, "uitslag")],
            vec![Ext],
            Some((SecureMessage, TwoFa)),
            vec![(TriggerWord, Place::Subject)],
        ),
    ];
    for (findings, recipients, expected, expected_found) in table {
        let decision = decide(&care(), &findings, &recipients, false);
        let got = decision.required.as_ref().map(|r| (r.kind, r.level));
        assert_eq!(got, expected, "{findings:?} to {recipients:?}");
        let got_found: Vec<(Kind, Place)> = decision
            .required
            .iter()
            .flat_map(|r| r.found.iter().map(|f| (f.kind, f.place)))
            .collect();
        assert_eq!(got_found, expected_found, "{findings:?}");
    }

    let message = Requirement {
        kind: SecureMessage,
        level: OneFa,
        found: vec![],
    };
    let files = Requirement {
        kind: SecureFiles,
        level: TwoFa,
        found: vec![],
    };
    // (requirement, kind, level, met)
    let cases = [
        (&message, PublicFiles, None, false),
        (&message, SecureFiles, Some(TwoFa), false),
        (&message, SecureMessage, Some(OneFa), true),
        (&message, SecureMessage, Some(TwoFa), true),
        (&files, PublicFiles, None, false),
        (&files, SecureFiles, Some(OneFa), false),
        (&files, SecureFiles, Some(TwoFa), true),
        (&files, SecureMessage, Some(TwoFa), true),
        (&files, SecureMessage, Some(OneFa), false),
    ];
    for (requirement, kind, level, met) in cases {
        assert_eq!(requirement.met_by(kind, level), met, "{kind:?} {level:?}");
    }
    assert_eq!(message.raise_kind(SecureFiles), SecureMessage);
    assert_eq!(files.raise_kind(SecureFiles), SecureFiles);
    assert_eq!(files.raise_kind(PublicFiles), SecureFiles);
    assert!(fully_protected(SecureMessage, Some(TwoFa)));
    assert!(!fully_protected(SecureFiles, Some(TwoFa)));
}

#[test]
fn the_requirement_serialises_as_the_api_names_it() {
    let decision = decide(
        &care(),
        &[found(NlBsn, "111222333")],
        &[RecipientClass::External],
        false,
    );
    let json = serde_json::to_value(decision.required.unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "secure_message", "level": "2fa", "found": [{"kind": "nl_bsn", "where": "body"}]})
    );
}
