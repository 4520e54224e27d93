//! Recognising a file's format: magic bytes first, the file name second.

/// What a file is, as far as extraction is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `%PDF-` near the start.
    Pdf,
    /// A ZIP container: a plain archive, OOXML or ODF (told apart once opened).
    Zip,
    /// An OLE compound file: legacy Office, Outlook `.msg`, or an encrypted OOXML file.
    Cfb,
    /// An RFC 5322 message.
    Eml,
    /// An HTML document.
    Html,
    /// Plain text (UTF-8, UTF-16 with BOM, or Windows-1252), CSV included.
    Text,
    /// A picture: its text can only be read by OCR.
    Image(Image),
    /// Audio, video and icons: no text to extract.
    Media,
    /// A binary format we cannot read, named for the reason.
    Unsupported(&'static str),
}

/// The picture formats attachments arrive in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Image {
    Jpeg,
    Png,
    Gif,
    Tiff,
    Bmp,
    Webp,
    /// HEIC/HEIF (iPhone photos) and AVIF: no decoder on the OCR side.
    Heif,
}

impl Image {
    /// The format's name, for reasons.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Image::Jpeg => "JPEG",
            Image::Png => "PNG",
            Image::Gif => "GIF",
            Image::Tiff => "TIFF",
            Image::Bmp => "BMP",
            Image::Webp => "WebP",
            Image::Heif => "HEIC",
        }
    }
}

/// The picture format of `b` by its magic bytes.
fn image(ext: &str, b: &[u8]) -> Option<Image> {
    let brand = b.get(8..12);
    Some(if b.starts_with(b"\xff\xd8\xff") {
        Image::Jpeg
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Image::Png
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Image::Gif
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        Image::Tiff
    } else if b.starts_with(b"RIFF") && brand == Some(b"WEBP") {
        Image::Webp
    } else if b.get(4..8) == Some(b"ftyp")
        && matches!(
            brand,
            Some(b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif")
        )
    {
        Image::Heif
    } else if b.starts_with(b"BM") && (ext == "bmp" || ext == "dib") {
        Image::Bmp
    } else {
        return None;
    })
}

const MEDIA_MAGIC: &[&[u8]] = &[b"\0\0\x01\0", b"ID3", b"OggS", b"fLaC"];

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The format of `bytes`, named `name`.
pub(crate) fn sniff(name: &str, b: &[u8]) -> Format {
    let ext = extension(name);
    let head = &b[..b.len().min(1024)];
    if memchr::memmem::find(head, b"%PDF-").is_some() {
        return Format::Pdf;
    }
    if b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06") || b.starts_with(b"PK\x07\x08")
    {
        return Format::Zip;
    }
    if b.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return Format::Cfb;
    }
    if let Some(image) = image(&ext, b) {
        return Format::Image(image);
    }
    if MEDIA_MAGIC.iter().any(|m| b.starts_with(m))
        || (b.starts_with(b"RIFF") && matches!(b.get(8..12), Some(b"WEBP" | b"WAVE" | b"AVI ")))
        || b.get(4..8) == Some(b"ftyp")
    {
        return Format::Media;
    }
    if b.starts_with(b"\x1f\x8b") {
        return Format::Unsupported("gzip archive");
    }
    if b.starts_with(b"7z\xbc\xaf\x27\x1c") {
        return Format::Unsupported("7-Zip archive");
    }
    if b.starts_with(b"Rar!\x1a\x07") {
        return Format::Unsupported("RAR archive");
    }
    let utf16 = b.starts_with(b"\xff\xfe") || b.starts_with(b"\xfe\xff");
    let sample = &b[..b.len().min(8192)];
    if !utf16 && sample.contains(&0) {
        return Format::Unsupported("binary file");
    }
    if utf16 {
        return if matches!(ext.as_str(), "htm" | "html" | "xhtml") {
            Format::Html
        } else {
            Format::Text
        };
    }
    if ext == "eml" || looks_like_mail(sample) {
        return Format::Eml;
    }
    if matches!(ext.as_str(), "htm" | "html" | "xhtml") || looks_like_html(head) {
        return Format::Html;
    }
    Format::Text
}

/// Header lines up to a blank line, including at least one header every mail has.
fn looks_like_mail(b: &[u8]) -> bool {
    const KNOWN: &[&[u8]] = &[
        b"from",
        b"to",
        b"subject",
        b"date",
        b"mime-version",
        b"received",
        b"message-id",
        b"return-path",
    ];
    let b = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b);
    let mut known = 0;
    for (n, line) in b.split(|&c| c == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return n > 0 && known > 0;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if n == 0 {
                return false;
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            return false;
        };
        let field = &line[..colon];
        if field.is_empty() || !field.iter().all(|&c| c.is_ascii_graphic()) {
            return false;
        }
        if KNOWN.iter().any(|k| k.eq_ignore_ascii_case(field)) {
            known += 1;
        }
        if n > 200 {
            return false;
        }
    }
    false
}

fn looks_like_html(head: &[u8]) -> bool {
    let start = head
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(head.len());
    let rest = head[start..]
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(&head[start..]);
    let lower: Vec<u8> = rest.iter().take(64).map(u8::to_ascii_lowercase).collect();
    [
        &b"<!doctype html"[..],
        b"<html",
        b"<head",
        b"<body",
        b"<meta",
        b"<div",
        b"<p>",
        b"<table",
        b"<!--",
    ]
    .iter()
    .any(|tag| lower.starts_with(tag))
}

/// Why an OLE compound file cannot be read.
pub(crate) fn cfb_reason(b: &[u8]) -> &'static str {
    let utf16 = |s: &str| s.bytes().flat_map(|c| [c, 0]).collect::<Vec<u8>>();
    if memchr::memmem::find(b, &utf16("EncryptedPackage")).is_some() {
        "encrypted Office document"
    } else if memchr::memmem::find(b, &utf16("__substg1.0_")).is_some() {
        "unsupported format: Outlook .msg"
    } else {
        "unsupported format: legacy binary Office document (.doc/.xls/.ppt)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        for (name, bytes, want) in [
            ("a.pdf", &b"%PDF-1.4\n..."[..], Format::Pdf),
            ("noext", b"\n\n%PDF-1.7", Format::Pdf),
            ("a.docx", b"PK\x03\x04rest", Format::Zip),
            (
                "a.doc",
                b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest",
                Format::Cfb,
            ),
            ("a.png", b"\x89PNG\r\n\x1a\nrest", Format::Image(Image::Png)),
            (
                "scan.jpg",
                b"\xff\xd8\xff\xe0rest",
                Format::Image(Image::Jpeg),
            ),
            (
                "IMG_0001.HEIC",
                b"\0\0\0\x18ftypheicrest",
                Format::Image(Image::Heif),
            ),
            ("clip.mp4", b"\0\0\0\x18ftypisomrest", Format::Media),
            ("scan.bmp", b"BM\x36\0rest", Format::Image(Image::Bmp)),
            (
                "a.txt",
                b"Beste Anouk,\n\nHet BSN is 123456782.",
                Format::Text,
            ),
            ("a.csv", b"naam;bsn\nJansen;123456782\n", Format::Text),
            (
                "Onderwerp.txt",
                b"Onderwerp: Verslag\n\nBeste collega,",
                Format::Text,
            ),
            (
                "x",
                b"From: a@b.nl\r\nSubject: hoi\r\n\r\nbody",
                Format::Eml,
            ),
            ("x.eml", b"garbage", Format::Eml),
            ("x", b"  <!DOCTYPE html><html>", Format::Html),
            ("x.html", b"hello", Format::Html),
            ("x.bin", b"\x01\x02\0\0", Format::Unsupported("binary file")),
            ("x.gz", b"\x1f\x8b\x08", Format::Unsupported("gzip archive")),
            ("x.txt", b"\xff\xfeB\0S\0N\0", Format::Text),
            ("empty", b"", Format::Text),
        ] {
            assert_eq!(sniff(name, bytes), want, "{name}");
        }
    }
}
