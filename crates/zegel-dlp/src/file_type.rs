//! What kind of file a received file is, judged by its first bytes (the name only tells apart formats
//! that share a container): the check behind an upload request's or portal's allowed types. A file that
//! calls itself `.pdf` but is not one is not a PDF.

use serde::{Deserialize, Serialize};

/// The kinds of files a sender can ask for (seed 001 §6.1: "bestandsformaten").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    /// PDF documents.
    Pdf,
    /// Pictures and scans: JPEG, PNG, GIF, TIFF, WebP, HEIC, BMP.
    Image,
    /// Word-processing documents: DOCX, DOC, ODT, RTF.
    Document,
    /// Spreadsheets: XLSX, XLS, ODS, CSV.
    Spreadsheet,
    /// Presentations: PPTX, PPT, ODP.
    Presentation,
    /// Plain text.
    Text,
    /// ZIP archives.
    Archive,
}

impl FileType {
    /// Every kind, in the order a form lists them.
    pub const ALL: [FileType; 7] = [
        FileType::Pdf,
        FileType::Image,
        FileType::Document,
        FileType::Spreadsheet,
        FileType::Presentation,
        FileType::Text,
        FileType::Archive,
    ];

    /// The name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Image => "image",
            FileType::Document => "document",
            FileType::Spreadsheet => "spreadsheet",
            FileType::Presentation => "presentation",
            FileType::Text => "text",
            FileType::Archive => "archive",
        }
    }

    /// Parses the API name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The file name extensions of this kind, for a file picker's `accept` (the content decides).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Pdf => &["pdf"],
            FileType::Image => &[
                "jpg", "jpeg", "png", "gif", "tif", "tiff", "webp", "heic", "heif", "bmp",
            ],
            FileType::Document => &["docx", "doc", "odt", "rtf"],
            FileType::Spreadsheet => &["xlsx", "xls", "ods", "csv"],
            FileType::Presentation => &["pptx", "ppt", "odp"],
            FileType::Text => &["txt"],
            FileType::Archive => &["zip"],
        }
    }
}

/// How many leading bytes [`detect`] looks at (enough for the first entries of an Office ZIP).
pub const HEAD_BYTES: usize = 64 * 1024;

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// The kind of a file by its first bytes `head` (up to [`HEAD_BYTES`]); `None` for anything else
/// (executables, scripts, unknown binaries, HTML).
pub fn detect(name: &str, head: &[u8]) -> Option<FileType> {
    let ext = extension(name);
    if head.starts_with(b"%PDF-") {
        return Some(FileType::Pdf);
    }
    let brand = head.get(8..12);
    let image = head.starts_with(b"\xff\xd8\xff")
        || head.starts_with(b"\x89PNG\r\n\x1a\n")
        || head.starts_with(b"GIF87a")
        || head.starts_with(b"GIF89a")
        || head.starts_with(b"II*\0")
        || head.starts_with(b"MM\0*")
        || (head.starts_with(b"RIFF") && brand == Some(b"WEBP"))
        || (head.get(4..8) == Some(b"ftyp")
            && matches!(brand, Some(b"heic" | b"heix" | b"mif1" | b"msf1" | b"avif")))
        || (head.starts_with(b"BM") && ext == "bmp");
    if image {
        return Some(FileType::Image);
    }
    if head.starts_with(b"PK\x03\x04") {
        // OOXML names its parts in the local headers; ODF stores its `mimetype` first, uncompressed.
        return Some(
            if contains(head, b"word/") || contains(head, b"opendocument.text") {
                FileType::Document
            } else if contains(head, b"xl/") || contains(head, b"opendocument.spreadsheet") {
                FileType::Spreadsheet
            } else if contains(head, b"ppt/") || contains(head, b"opendocument.presentation") {
                FileType::Presentation
            } else {
                FileType::Archive
            },
        );
    }
    if head.starts_with(b"PK\x05\x06") {
        return Some(FileType::Archive);
    }
    if head.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        // Legacy Office: the compound file's streams name the application; the extension agrees or not.
        return match ext.as_str() {
            "doc" => Some(FileType::Document),
            "xls" => Some(FileType::Spreadsheet),
            "ppt" => Some(FileType::Presentation),
            _ => None,
        };
    }
    if head.starts_with(b"{\\rtf") {
        return Some(FileType::Document);
    }
    // Text: no NUL byte and valid UTF-8 (a cut-off last character allowed), or UTF-16 with a BOM.
    let utf16 = head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff");
    let text = utf16
        || (!head.contains(&0)
            && match std::str::from_utf8(head) {
                Ok(_) => true,
                Err(e) => e.error_len().is_none() && head.len() >= HEAD_BYTES,
            });
    if !text || head.is_empty() {
        return None;
    }
    let lower: Vec<u8> = head
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(64)
        .map(u8::to_ascii_lowercase)
        .collect();
    // Markup and scripts are not text a person asked for: a browser or a shell would run them.
    if lower.starts_with(b"<") || lower.starts_with(b"#!") {
        return None;
    }
    Some(if ext == "csv" {
        FileType::Spreadsheet
    } else {
        FileType::Text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_content_not_the_name() {
        assert_eq!(detect("x.bin", b"%PDF-1.7\n..."), Some(FileType::Pdf));
        assert_eq!(
            detect("scan.pdf", b"MZ\x90\0\x03"),
            None,
            "an .exe named .pdf"
        );
        assert_eq!(
            detect("a.pdf", b"\x89PNG\r\n\x1a\n...."),
            Some(FileType::Image)
        );
        assert_eq!(
            detect("foto.jpg", b"\xff\xd8\xff\xe0..JFIF"),
            Some(FileType::Image)
        );
        assert_eq!(
            detect(
                "x",
                b"PK\x03\x04....[Content_Types].xml....word/document.xml"
            ),
            Some(FileType::Document)
        );
        assert_eq!(
            detect("x", b"PK\x03\x04....[Content_Types].xml....xl/workbook.xml"),
            Some(FileType::Spreadsheet)
        );
        assert_eq!(
            detect("x", b"PK\x03\x04....[Content_Types].xml....ppt/slides/"),
            Some(FileType::Presentation)
        );
        assert_eq!(
            detect(
                "x",
                b"PK\x03\x04....mimetypeapplication/vnd.oasis.opendocument.text"
            ),
            Some(FileType::Document)
        );
        assert_eq!(
            detect("x.zip", b"PK\x03\x04....readme.txt"),
            Some(FileType::Archive)
        );
        assert_eq!(
            detect("brief.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1...."),
            Some(FileType::Document)
        );
        assert_eq!(
            detect("brief.msg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1...."),
            None
        );
        assert_eq!(
            detect("notes.txt", "Beste meneer, één regel.\n".as_bytes()),
            Some(FileType::Text)
        );
        assert_eq!(
            detect("lijst.csv", b"naam;bedrag\njan;12\n"),
            Some(FileType::Spreadsheet)
        );
        assert_eq!(detect("page.txt", b"<html><script>alert(1)</script>"), None);
        assert_eq!(detect("run.txt", b"#!/bin/sh\nrm -rf /"), None);
        assert_eq!(detect("bin.txt", b"abc\0def"), None);
        assert_eq!(detect("leeg.txt", b""), None);
    }

    #[test]
    fn names_round_trip() {
        for kind in FileType::ALL {
            assert_eq!(FileType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(FileType::parse("exe"), None);
    }
}
