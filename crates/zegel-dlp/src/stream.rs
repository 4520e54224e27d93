//! Scanning a text that arrives in pieces (a file read from disk or stdin) in bounded memory.

use crate::scanner::{MARGIN, WINDOW, ceil_char_boundary, floor_char_boundary};
use crate::{Findings, Location, Scanner};

/// A text scan fed piece by piece: [`TextStream::feed`] bytes as they are read, then
/// [`TextStream::finish`]. It holds about one window and its margins of text, whatever the size of the
/// whole, and finds what [`Scanner::scan_text`] finds in the whole text; offsets refer to the decoded
/// text (bytes that are not UTF-8 become U+FFFD, as [`String::from_utf8_lossy`] does).
#[derive(Debug)]
pub struct TextStream<'a> {
    scanner: &'a Scanner,
    location: Location,
    /// The text not yet dropped: from `base` in the whole text.
    buf: String,
    /// Offset of `buf[0]` in the whole text.
    base: usize,
    /// Offset in `buf` of the next window to scan.
    next: usize,
    /// The start of a UTF-8 sequence cut off by the end of the last piece.
    pending: Vec<u8>,
}

impl<'a> TextStream<'a> {
    /// A scan of a text at `location`.
    pub fn new(scanner: &'a Scanner, location: Location) -> Self {
        TextStream {
            scanner,
            location,
            buf: String::new(),
            base: 0,
            next: 0,
            pending: Vec::new(),
        }
    }

    /// Adds the next bytes of the text, scanning every window that now has its right margin.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Findings) {
        let joined;
        let mut rest = if self.pending.is_empty() {
            bytes
        } else {
            self.pending.extend_from_slice(bytes);
            joined = std::mem::take(&mut self.pending);
            &joined[..]
        };
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    self.buf.push_str(text);
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // Checked by from_utf8 just now.
                    self.buf
                        .push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(n) => {
                            self.buf.push('\u{FFFD}');
                            rest = &after[n..];
                        }
                        None => {
                            self.pending = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        // A window is scanned once the text reaches past its right margin (and a char of slack).
        while self.buf.len() >= self.next + WINDOW + MARGIN + 4 {
            let to = ceil_char_boundary(&self.buf, self.next + WINDOW);
            self.scanner
                .scan_window(&self.buf, (self.next, to), self.base, &self.location, out);
            self.next = to;
        }
        // Keep only the left margin of the next window.
        let cut = floor_char_boundary(&self.buf, self.next.saturating_sub(MARGIN));
        if cut > 0 {
            self.buf.drain(..cut);
            self.base += cut;
            self.next -= cut;
        }
    }

    /// Scans what is left (an incomplete UTF-8 sequence at the end becomes U+FFFD).
    pub fn finish(mut self, out: &mut Findings) {
        if !self.pending.is_empty() {
            self.buf.push('\u{FFFD}');
        }
        while self.next < self.buf.len() {
            let to = ceil_char_boundary(&self.buf, self.next + WINDOW);
            self.scanner
                .scan_window(&self.buf, (self.next, to), self.base, &self.location, out);
            self.next = to;
        }
    }
}
