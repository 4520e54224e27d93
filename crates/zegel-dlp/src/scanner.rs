//! The text scanner: one pass over the bytes for numbers and addresses, one automaton pass for words,
//! then overlap resolution.

use crate::chars::{char_count, left_free};
use crate::checks::CivilDate;
use crate::numbers::{bsn_at, card_at, iban_at, personnummer_at, phone_at, phone_may_start};
use crate::words::{BsnKeywords, Folded, WordMatcher};
use crate::{Finding, Findings, Kind, Location, Words, confidence};

/// How far (in chars, between the two spans) a BSN keyword may be from the number.
pub(crate) const BSN_KEYWORD_WINDOW: usize = 300;

/// Compiled detectors for one tenant's words. Cheap to share; build once per policy.
#[derive(Clone, Debug)]
pub struct Scanner {
    words: WordMatcher,
    keywords: BsnKeywords,
    today: CivilDate,
}

/// A raw finding before overlap resolution.
type Hit = (Kind, usize, usize, f32);

/// The bytes of text [`Scanner::scan_text_into`] scans at a time.
pub const WINDOW: usize = 1 << 20;
/// The context on each side of a window (see [`Scanner::scan_text_into`]).
pub const MARGIN: usize = 8 << 10;

/// The largest char boundary of `text` at or before `i` (the end when `i` is past it).
pub(crate) fn floor_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary of `text` at or after `i` (the end when `i` is past it).
pub(crate) fn ceil_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

impl Scanner {
    /// Compiles the tenant's trigger and activation words (blank words are ignored).
    pub fn new(words: &Words) -> Self {
        let list: Vec<(Kind, &str)> = words
            .trigger_words
            .iter()
            .map(|w| (Kind::TriggerWord, w.as_str()))
            .chain(
                words
                    .activation_words
                    .iter()
                    .map(|w| (Kind::ActivationWord, w.as_str())),
            )
            .collect();
        Self {
            words: WordMatcher::new(&list),
            keywords: BsnKeywords::new(),
            today: CivilDate::today(),
        }
    }

    /// Sets the date against which personnummer birth dates are checked ("not in the future").
    ///
    /// [`Scanner::new`] takes today's date from the system clock; `wasm32-unknown-unknown` has none, so the
    /// task pane passes the browser's date here. An impossible date is ignored.
    pub fn with_today(mut self, year: i32, month: u32, day: u32) -> Self {
        if let Some(d) = CivilDate::new(year, month, day) {
            self.today = d;
        }
        self
    }

    /// Finds sensitive values in `text`. Never panics, never fails; findings are sorted by start.
    ///
    /// Offsets are byte offsets into `text` (exclusive end); `text` of each finding is the matched slice.
    /// Every finding is returned; for large or hostile texts [`Scanner::scan_text_into`] keeps memory
    /// bounded.
    pub fn scan_text(&self, text: &str, location: Location) -> Vec<Finding> {
        self.hits(text)
            .into_iter()
            .map(|(kind, start, end, confidence)| Finding {
                kind,
                text: text[start..end].to_owned(),
                start,
                end,
                confidence,
                location: location.clone(),
                reason: None,
            })
            .collect()
    }

    /// Scans `text` window by window into `out`, which counts every finding and keeps a bounded number
    /// (see [`Findings`]): memory stays bounded whatever the size of the text and however many values it
    /// holds, and the findings are those of [`Scanner::scan_text`].
    ///
    /// Each window of [`WINDOW`] bytes is scanned with [`MARGIN`] bytes of context on both sides, and
    /// keeps the values that start inside it: every detector looks at most a BSN keyword window
    /// (300 chars, at most 1,200 bytes) away, far less than the margin. Only a single written value
    /// longer than the margin (which no detector accepts) could be read differently.
    pub fn scan_text_into(&self, text: &str, location: &Location, out: &mut Findings) {
        let mut from = 0;
        while from < text.len() {
            let to = ceil_char_boundary(text, from + WINDOW);
            self.scan_window(text, (from, to), 0, location, out);
            from = to;
        }
    }

    /// Scans `text[from..to]` (char boundaries) with up to [`MARGIN`] bytes of context on both sides,
    /// into `out`, adding `base` to every offset.
    pub(crate) fn scan_window(
        &self,
        text: &str,
        (from, to): (usize, usize),
        base: usize,
        location: &Location,
        out: &mut Findings,
    ) {
        let start = floor_char_boundary(text, from.saturating_sub(MARGIN));
        let end = ceil_char_boundary(text, to + MARGIN);
        for (kind, s, e, confidence) in self.hits(&text[start..end]) {
            let (s, e) = (s + start, e + start);
            if (from..to).contains(&s) {
                out.offer(
                    kind,
                    &text[s..e],
                    (s + base, e + base),
                    confidence,
                    location,
                );
            }
        }
    }

    /// Every detector over `text`, overlaps resolved, sorted by start.
    fn hits(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        // The folded copy serves both the tenant words and the BSN keywords; built at most once.
        let mut folded = None;
        self.scan_numbers(text, &mut hits, &mut folded);
        let mut words = Vec::new();
        if !self.words.is_empty() {
            self.words.find(
                text,
                folded.get_or_insert_with(|| Folded::new(text)),
                &mut words,
            );
        }
        hits.extend(
            words
                .into_iter()
                .map(|(k, s, e)| (k, s, e, confidence::WORD)),
        );
        resolve_overlaps(&mut hits);
        hits
    }

    fn scan_numbers(&self, text: &str, hits: &mut Vec<Hit>, folded: &mut Option<Folded>) {
        let b = text.as_bytes();
        // Each detector resumes after its previous written value, valid or not, like a regex `find_iter`.
        let (
            mut next_bsn,
            mut next_card,
            mut next_pnr,
            mut next_phone,
            mut next_iban,
            mut next_email,
        ) = (0, 0, 0, 0, 0, 0);
        let mut bsn_keywords: Option<Vec<(usize, usize)>> = None;
        let mut i = 0;
        while i < b.len() {
            match crate::chars::next_candidate(b, i) {
                Some(k) => i = k,
                None => break,
            }
            let c = b[i];
            if c == b'@' {
                if i >= next_email
                    && let Some((s, e)) = crate::email::email_at(text, i, next_email)
                {
                    hits.push((Kind::Email, s, e, confidence::EMAIL));
                    next_email = e;
                }
                i += 1;
                continue;
            }
            if (c == b'+' || c == b'(')
                && i >= next_phone
                && phone_may_start(text, i)
                && let Some(p) = phone_at(text, i)
            {
                if p.valid {
                    hits.push((Kind::NlPhone, i, p.end, confidence::PHONE));
                }
                next_phone = p.end;
            }
            if !c.is_ascii_digit() {
                i += 1;
                continue;
            }
            // The start of a digit run.
            let run = crate::chars::digit_run(b, i);
            // IBAN: two letters and two check digits, the digits starting this run.
            if i >= 2
                && i - 2 >= next_iban
                && run >= 2
                && let Some(v) = iban_at(text, i - 2)
            {
                if v.valid {
                    hits.push((Kind::Iban, i - 2, v.end, confidence::IBAN));
                }
                next_iban = v.end;
            }
            if left_free(text, i) {
                // Each form's first group has a fixed length, so the run length rules most detectors out.
                if matches!(run, 3 | 4 | 9)
                    && i >= next_bsn
                    && let Some(v) = bsn_at(text, i)
                {
                    if v.valid {
                        let conf =
                            if self.near_bsn_keyword(text, i, v.end, &mut bsn_keywords, folded) {
                                Some(confidence::BSN_WITH_KEYWORD)
                            } else if v.dotted_423 {
                                Some(confidence::BSN_DOTTED)
                            } else {
                                None
                            };
                        if let Some(conf) = conf {
                            hits.push((Kind::NlBsn, i, v.end, conf));
                        }
                    }
                    next_bsn = v.end;
                }
                if matches!(run, 4 | 15 | 16)
                    && i >= next_card
                    && let Some(v) = card_at(text, i)
                {
                    if v.valid {
                        hits.push((Kind::CreditCard, i, v.end, confidence::CARD));
                    }
                    next_card = v.end;
                }
                if matches!(run, 6 | 8 | 10 | 12)
                    && i >= next_pnr
                    && let Some(v) = personnummer_at(text, i, self.today)
                {
                    if v.valid {
                        hits.push((Kind::SePersonnummer, i, v.end, confidence::PERSONNUMMER));
                    }
                    next_pnr = v.end;
                }
            }
            if i >= next_phone
                && phone_may_start(text, i)
                && let Some(p) = phone_at(text, i)
            {
                if p.valid {
                    hits.push((Kind::NlPhone, i, p.end, confidence::PHONE));
                }
                next_phone = p.end;
            }
            i += run;
        }
    }

    /// Whether a BSN keyword lies within [`BSN_KEYWORD_WINDOW`] chars of `text[s..e]`. The keyword list is
    /// computed on first use, so texts without a valid 9-digit number never pay for it.
    fn near_bsn_keyword(
        &self,
        text: &str,
        s: usize,
        e: usize,
        cache: &mut Option<Vec<(usize, usize)>>,
        folded: &mut Option<Folded>,
    ) -> bool {
        let kws = cache.get_or_insert_with(|| {
            self.keywords
                .find(text, folded.get_or_insert_with(|| Folded::new(text)))
        });
        let b = text.as_bytes();
        // Keywords are sorted by start and, never nesting, by end too. A keyword overlapping or touching
        // the value is near; otherwise only the nearest keyword on each side can be: any other one is
        // farther away in bytes and in chars. (Checking every keyword within reach, farthest first,
        // counted up to a few kilobytes of chars per number: in a list dense with numbers and keywords
        // that was most of the scan.)
        let ended_before = kws.partition_point(|&(_, ke)| ke <= s);
        let started_before = kws.partition_point(|&(ks, _)| ks < e);
        if started_before > ended_before {
            return true;
        }
        // Chars never outnumber bytes, so a byte gap within the window needs no counting, and one over
        // four bytes per char cannot be within it.
        let near = |gap: &[u8]| {
            gap.len() <= BSN_KEYWORD_WINDOW
                || (gap.len() <= 4 * BSN_KEYWORD_WINDOW && char_count(gap) <= BSN_KEYWORD_WINDOW)
        };
        ended_before
            .checked_sub(1)
            .is_some_and(|k| near(&b[kws[k].1..s]))
            || kws
                .get(started_before)
                .is_some_and(|&(ks, _)| near(&b[e..ks]))
    }
}

/// Drops findings that another finding owns, then sorts by start.
///
/// - Digits inside a valid IBAN belong to the IBAN only: anything overlapping an IBAN goes.
/// - A phone number or address overlapping a protective finding goes (the protective one says more).
/// - A phone number overlapping an address goes (`0612345678@sms.example.nl` is an address).
/// - Two protective findings of different kinds that overlap are both kept: the policy then acts on the
///   stronger rule, which is the safe reading of an ambiguous value.
fn resolve_overlaps(hits: &mut Vec<Hit>) {
    fn rank(k: Kind) -> u8 {
        match k {
            Kind::Iban => 0,
            Kind::Email => 2,
            Kind::NlPhone => 3,
            _ => 1,
        }
    }
    hits.sort_by_key(|h| (h.1, h.2, h.0));
    // The common case: nothing overlaps (hits are sorted by start, so checking neighbours suffices once
    // the running end is tracked).
    let mut reach = 0;
    if hits.iter().all(|h| {
        let free = h.1 >= reach;
        reach = reach.max(h.2);
        free
    }) {
        return;
    }
    // For each rank, the merged spans of all stronger ranks that can evict it.
    let mut keep = vec![true; hits.len()];
    for r in 1..=3u8 {
        let blockers = merged_spans(hits.iter().filter(|h| {
            let rb = rank(h.0);
            rb < r && !(r == 1 && rb == 1)
        }));
        if blockers.is_empty() {
            continue;
        }
        for (h, k) in hits.iter().zip(keep.iter_mut()) {
            if rank(h.0) == r && overlaps(&blockers, h.1, h.2) {
                *k = false;
            }
        }
    }
    let mut it = keep.into_iter();
    hits.retain(|_| it.next().unwrap_or(true));
}

/// Sorted, disjoint union of the spans of `hits` (which are sorted by start).
fn merged_spans<'a>(hits: impl Iterator<Item = &'a Hit>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for h in hits {
        match out.last_mut() {
            Some(last) if h.1 < last.1 => last.1 = last.1.max(h.2),
            _ => out.push((h.1, h.2)),
        }
    }
    out
}

fn overlaps(spans: &[(usize, usize)], s: usize, e: usize) -> bool {
    let k = spans.partition_point(|&(_, se)| se <= s);
    spans.get(k).is_some_and(|&(ss, _)| ss < e)
}
