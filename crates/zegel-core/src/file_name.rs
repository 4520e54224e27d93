//! File names as recipients see them: spoofing neutralised, the real extension visible.
//!
//! A sender's file name is kept sealed as it was given. Everywhere a name is shown or becomes a name on
//! the recipient's disk (portal, JSON access API, `Content-Disposition`, ZIP entries, log & block),
//! [`display_name`] is used instead. It neutralises:
//!
//! - bidirectional controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C), which turn
//!   `factuur\u{202E}fdp.exe` into something that reads "factuurexe.pdf";
//! - zero-width and other invisible characters (U+200B–200D, U+2060–2064, U+FEFF, soft hyphen,
//!   variation selectors, tag characters, …), which hide differences between names;
//! - control characters and the line and paragraph separators;
//! - fullwidth and other look-alike dots, which fake an extension (`rapport．pdf` has none), and
//!   look-alike slashes, backslashes and colons, which fake a path;
//! - blank-looking characters and runs of spaces that push the real extension out of sight;
//! - path components and drive prefixes (`C:\…\brief.pdf`, `../x`, `C:x`), colons (`a.txt:stream`), the
//!   characters Windows refuses (`<>:"|?*`), leading dots and trailing dots and spaces (Windows drops
//!   them, so `a.exe.` would be saved as `a.exe`);
//! - Windows device names (`CON`, `PRN`, `AUX`, `NUL`, `COM0`–`COM9`, `LPT0`–`LPT9`, also with an
//!   extension or superscript digits), which would open a device instead of a file.
//!
//! Every replaced character becomes `_`, so the shape of the name stays recognisable; removed characters
//! leave nothing. The result is never empty, at most [`MAX_DISPLAY_CHARS`] chars, ends with the real
//! extension (the part after the last real dot), and [`display_name`] of it is itself.

/// The longest name shown or saved, in chars (file systems allow 255 bytes; a name of this many chars
/// of up to three bytes each still fits after a ZIP's ` (2)` suffix).
pub const MAX_DISPLAY_CHARS: usize = 80;

/// The name shown and saved when nothing usable is left.
const EMPTY: &str = "file";

/// What to do with one char.
enum Treat {
    Keep,
    Drop,
    Replace,
    Space,
}

fn treat(c: char) -> Treat {
    match c {
        // Bidirectional controls.
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{061C}' => Treat::Drop,
        // Zero-width and other invisible format characters.
        '\u{00AD}'
        | '\u{034F}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2060}'..='\u{2065}'
        | '\u{206A}'..='\u{206F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}' => Treat::Drop,
        // Characters that look blank but are letters or symbols.
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}' => Treat::Space,
        // Controls, line and paragraph separators, the replacement characters.
        c if c.is_control() => Treat::Replace,
        '\u{2028}' | '\u{2029}' | '\u{FFF9}'..='\u{FFFD}' => Treat::Replace,
        // Look-alike dots: a fake extension.
        '\u{FF0E}' | '\u{2024}' | '\u{FE52}' | '\u{3002}' | '\u{FF61}' | '\u{0701}'
        | '\u{0702}' | '\u{A4F8}' | '\u{A60E}' | '\u{10A50}' | '\u{06D4}' | '\u{2E3C}'
        | '\u{00B7}' | '\u{2027}' | '\u{2219}' | '\u{22C5}' | '\u{30FB}' | '\u{FF65}' => {
            Treat::Replace
        }
        // Look-alike slashes, backslashes and colons: a fake path or drive.
        '\u{FF0F}' | '\u{2215}' | '\u{2044}' | '\u{29F8}' | '\u{29F9}' | '\u{FF3C}'
        | '\u{2216}' | '\u{FE68}' | '\u{2571}' | '\u{2572}' | '\u{27CB}' | '\u{27CD}'
        | '\u{3033}' | '\u{1735}' | '\u{FF1A}' | '\u{2236}' | '\u{A789}' | '\u{FE55}'
        | '\u{FE13}' | '\u{0589}' | '\u{05C3}' | '\u{02D0}' | '\u{02F8}' | '\u{16EC}'
        | '\u{FE30}' => Treat::Replace,
        // What Windows refuses in a name (`/`, `\` and `:` are dealt with before).
        '<' | '>' | '"' | '|' | '?' | '*' | ':' | '/' | '\\' => Treat::Replace,
        c if c.is_whitespace() => Treat::Space,
        _ => Treat::Keep,
    }
}

/// The name to show and to save for a file the sender called `original` (see the module docs).
pub fn display_name(original: &str) -> String {
    // Only the last path component names the file, without a drive prefix (`C:x`); any other colon
    // (an NTFS stream, `a.txt:b.exe`) becomes `_` below.
    let base = original.rsplit(['/', '\\']).next().unwrap_or_default();
    let base = match base.as_bytes() {
        [drive, b':', ..] if drive.is_ascii_alphabetic() => &base[2..],
        _ => base,
    };

    let mut name = String::with_capacity(base.len());
    let mut space = false;
    for c in base.chars() {
        match treat(c) {
            Treat::Keep => {
                if space && !name.is_empty() {
                    name.push(' ');
                }
                space = false;
                name.push(c);
            }
            Treat::Replace => {
                if space && !name.is_empty() {
                    name.push(' ');
                }
                space = false;
                name.push('_');
            }
            Treat::Space => space = true,
            Treat::Drop => {}
        }
    }
    // Windows drops trailing dots and spaces; a leading dot hides a file on Unix (and `..` is a path).
    let trimmed = name.trim_end_matches(['.', ' ']);
    let leading = trimmed.len() - trimmed.trim_start_matches('.').len();
    let mut name = format!("{}{}", "_".repeat(leading), &trimmed[leading..]);
    // A space before the extension dot hides it in narrow columns as well as anywhere else.
    while let Some(i) = name.find(" .") {
        name.replace_range(i..i + 2, ".");
    }
    if name.is_empty() {
        return EMPTY.to_owned();
    }
    let name = shorten(&name);
    if is_device_name(&name) {
        format!("_{name}")
    } else {
        name
    }
}

/// Cuts the stem so the whole name fits [`MAX_DISPLAY_CHARS`], keeping the extension.
fn shorten(name: &str) -> String {
    // One char is left for the `_` before a device name.
    if name.chars().count() < MAX_DISPLAY_CHARS {
        return name.to_owned();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        // An "extension" longer than a real one is part of the name.
        Some((stem, ext)) if !stem.is_empty() && ext.chars().count() <= 16 => (stem, ext),
        _ => (name, ""),
    };
    let room = MAX_DISPLAY_CHARS - 3 - ext.chars().count();
    let stem: String = stem.chars().take(room).collect();
    let stem = stem.trim_end_matches(['.', ' ']);
    if ext.is_empty() {
        format!("{stem}…")
    } else {
        format!("{stem}….{ext}")
    }
}

/// Whether Windows would open a device for this name: the part before the first dot, without trailing
/// spaces, is a reserved device name.
fn is_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end();
    let upper = stem.to_uppercase();
    let numbered = |prefix: &str| {
        upper.strip_prefix(prefix).is_some_and(|n| {
            let mut chars = n.chars();
            matches!(
                (chars.next(), chars.next()),
                (Some('0'..='9' | '¹' | '²' | '³'), None)
            )
        })
    };
    matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" | "CLOCK$"
    ) || numbered("COM")
        || numbered("LPT")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spoofed_names_are_neutralised() {
        let table = [
            // Ordinary names stay as they are.
            ("rapport 2024 (def).docx", "rapport 2024 (def).docx"),
            (
                "Patiëntendossier 234-567.pdf",
                "Patiëntendossier 234-567.pdf",
            ),
            ("verslag.tar.gz", "verslag.tar.gz"),
            // Bidirectional overrides: the real extension comes out.
            ("factuur\u{202E}fdp.exe", "factuurfdp.exe"),
            ("a\u{202A}b\u{202B}c\u{202C}d\u{202D}e.txt", "abcde.txt"),
            ("x\u{2066}y\u{2067}z\u{2068}w\u{2069}.js", "xyzw.js"),
            ("brief\u{200E}\u{200F}\u{061C}.pdf", "brief.pdf"),
            // Zero-width and invisible characters.
            (
                "in\u{200B}voi\u{200C}ce\u{200D}\u{FEFF}\u{2060}.pdf",
                "invoice.pdf",
            ),
            ("soft\u{AD}hyphen.txt", "softhyphen.txt"),
            ("tag\u{E0041}\u{E007F}.txt", "tag.txt"),
            // Look-alike dots: no fake extension.
            ("rapport\u{FF0E}pdf", "rapport_pdf"),
            ("photo.jpg\u{2024}exe", "photo.jpg_exe"),
            ("a\u{FE52}b\u{3002}c.txt", "a_b_c.txt"),
            // Look-alike slashes and colons: no fake path.
            ("map\u{FF0F}brief.pdf", "map_brief.pdf"),
            ("map\u{2215}x\u{2044}y\u{FF3C}z.pdf", "map_x_y_z.pdf"),
            ("C\u{FF1A}brief.pdf", "C_brief.pdf"),
            // Control characters.
            ("a\r\nb\t.txt", "a__b_.txt"),
            ("bell\u{7}\u{85}.txt", "bell__.txt"),
            // Paths and drives.
            ("C:\\Users\\jan\\brief.pdf", "brief.pdf"),
            ("../../etc/passwd", "passwd"),
            ("C:brief.pdf", "brief.pdf"),
            ("notes.txt:evil.exe", "notes.txt_evil.exe"),
            ("Re: overleg.pdf", "Re_ overleg.pdf"),
            ("\\\\server\\share\\x.doc", "x.doc"),
            ("dir/", EMPTY),
            ("..", EMPTY),
            ("", EMPTY),
            ("\u{202E}\u{200B}", EMPTY),
            // What Windows refuses or changes.
            ("a<b>c\"d|e?f*g.txt", "a_b_c_d_e_f_g.txt"),
            ("evil.exe.", "evil.exe"),
            ("evil.exe . . ", "evil.exe"),
            (".bashrc", "_bashrc"),
            ("...hidden.txt", "___hidden.txt"),
            // Blank padding that pushes the extension out of sight.
            (
                "invoice.pdf                                        .exe",
                "invoice.pdf.exe",
            ),
            ("a\u{3000}\u{2003}\u{A0}b.txt", "a b.txt"),
            ("x\u{3164}\u{2800}y.txt", "x y.txt"),
            ("  padded  .txt", "padded.txt"),
            // Device names, with or without an extension.
            ("CON", "_CON"),
            ("con.txt", "_con.txt"),
            ("Nul.tar.gz", "_Nul.tar.gz"),
            ("COM1.pdf", "_COM1.pdf"),
            ("lpt9", "_lpt9"),
            ("COM\u{B9}.txt", "_COM\u{B9}.txt"),
            ("AUX .txt", "_AUX.txt"),
            ("CONSOLE.txt", "CONSOLE.txt"),
            ("COM10.txt", "COM10.txt"),
            ("nullable.txt", "nullable.txt"),
        ];
        for (input, expected) in table {
            assert_eq!(display_name(input), expected, "{input:?}");
        }
    }

    #[test]
    fn long_names_keep_their_extension() {
        let name = display_name(&format!("{}.pdf", "a".repeat(300)));
        assert!(name.ends_with("….pdf"), "{name}");
        assert!(name.chars().count() <= MAX_DISPLAY_CHARS);
        let name = display_name(&"b".repeat(300));
        assert!(name.ends_with('…'));
        assert!(name.chars().count() <= MAX_DISPLAY_CHARS);
    }

    /// Chars that must never survive.
    fn forbidden(c: char) -> bool {
        c.is_control()
            || matches!(
                c,
                '/' | '\\' | ':' | '<' | '>' | '"' | '|' | '?' | '*' | '\u{202A}'..='\u{202E}'
                    | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{061C}' | '\u{FEFF}'
                    | '\u{2060}' | '\u{FF0E}' | '\u{FF0F}' | '\u{FF3C}' | '\u{2024}' | '\u{2215}'
                    | '\u{2028}' | '\u{2029}'
            )
            || (c.is_whitespace() && c != ' ')
    }

    fn spoofy() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-zA-Z0-9 ._-]{0,8}",
            Just("\u{202E}".to_owned()),
            Just("\u{2066}".to_owned()),
            Just("\u{200B}".to_owned()),
            Just("\u{FF0E}".to_owned()),
            Just("\u{FF0F}".to_owned()),
            Just("/".to_owned()),
            Just("\\".to_owned()),
            Just(":".to_owned()),
            Just("..".to_owned()),
            Just("CON".to_owned()),
            Just("com1".to_owned()),
            Just("\r\n".to_owned()),
            Just("\u{3000}".to_owned()),
            Just("ë".to_owned()),
            Just(".exe".to_owned()),
            any::<char>().prop_map(String::from),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn display_names_are_safe(original in spoofy()) {
            let name = display_name(&original);
            prop_assert!(!name.is_empty());
            prop_assert!(name.chars().count() <= MAX_DISPLAY_CHARS, "{name:?}");
            prop_assert!(!name.chars().any(forbidden), "{name:?}");
            prop_assert!(!name.starts_with('.') && !name.starts_with(' '), "{name:?}");
            prop_assert!(!name.ends_with('.') && !name.ends_with(' '), "{name:?}");
            prop_assert!(!name.contains("  ") && !name.contains(" ."), "{name:?}");
            prop_assert!(!is_device_name(&name), "{name:?}");
            prop_assert_eq!(display_name(&name), name.clone(), "idempotent");
        }

        #[test]
        fn plain_names_are_unchanged(stem in "[a-zA-Z0-9][a-zA-Z0-9 _-]{0,30}[a-zA-Z0-9]", ext in "[a-z]{1,5}") {
            let original = format!("{stem}.{ext}");
            prop_assume!(!is_device_name(&original) && !original.contains("  "));
            prop_assert_eq!(display_name(&original), original);
        }
    }
}
