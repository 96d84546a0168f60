//! Turning a user's sequence into the 110-bp construct Camformer sees.
//!
//! The DREAM constructs are a 17-bp constant 5' flank, an 80-bp random region and a 13-bp
//! constant 3' flank. Users paste either whole constructs or bare random regions; sequences a
//! few bases off 110 are padded with `N` at the 3' end or truncated, as Camformer's training
//! did. Nothing is changed silently: every adjustment is reported as a [`Note`].

use std::fmt;

use crate::error::RecordProblem;

// The layout constants live in a leaf below the error type (whose messages print them), so
// that the error type depends on no module above it; this is their public home.
pub use crate::layout::{
    CONSTRUCT_LEN, FLANK_3, FLANK_5, LENGTH_TOLERANCE, MAX_N, RANDOM_LEN, RANDOM_START,
};

/// An adjustment made to a sequence on its way to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// An 80-bp random region was given the constant flanks.
    Flanked,
    /// A short sequence was padded with this many `N` at the 3' end.
    Padded(usize),
    /// A long sequence lost this many bases at the 3' end.
    Truncated(usize),
}

impl Note {
    /// Whether the user should be warned (flanking an 80-bp region is the documented input).
    pub fn is_warning(self) -> bool {
        !matches!(self, Note::Flanked)
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Flanked => write!(f, "80-bp random region: constant flanks added"),
            Note::Padded(n) => write!(f, "padded with {n} N at the 3' end to 110 bp"),
            Note::Truncated(n) => write!(f, "truncated by {n} bp at the 3' end to 110 bp"),
        }
    }
}

/// A validated 110-bp construct: upper-case `A`, `C`, `G`, `T`, `N` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Construct([u8; CONSTRUCT_LEN]);

impl Construct {
    /// The bases as ASCII bytes.
    pub fn bases(&self) -> &[u8; CONSTRUCT_LEN] {
        &self.0
    }

    /// The construct as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).expect("construct holds ASCII")
    }

    /// A copy with base `base` at 0-based `position`.
    ///
    /// # Panics
    /// If `position >= 110` or `base` is not one of `ACGTN`.
    pub fn with_base(&self, position: usize, base: u8) -> Construct {
        assert!(b"ACGTN".contains(&base), "invalid base {}", base as char);
        let mut bases = self.0;
        bases[position] = base;
        Construct(bases)
    }

    /// The construct read from the other strand: reversed, each base complemented (`N` stays
    /// `N`). The constant flanks go with it, so the flanks mark which strand a model is shown.
    pub fn reverse_complement(&self) -> Construct {
        let mut bases = self.0;
        bases.reverse();
        for b in &mut bases {
            *b = match *b {
                b'A' => b'T',
                b'C' => b'G',
                b'G' => b'C',
                b'T' => b'A',
                other => other,
            };
        }
        Construct(bases)
    }
}

impl fmt::Display for Construct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks a user's sequence and turns it into the construct the model sees.
///
/// Accepts any case; surrounding whitespace must already be removed. Returns the construct and
/// the adjustments made, or the first problem found (positions 1-based in `seq` as given).
pub fn prepare(seq: &str) -> Result<(Construct, Vec<Note>), RecordProblem> {
    let raw = seq.as_bytes();
    if raw.is_empty() {
        return Err(RecordProblem::Empty);
    }
    let mut n_count = 0;
    let mut upper = Vec::with_capacity(CONSTRUCT_LEN);
    for (i, ch) in seq.chars().enumerate() {
        let base = ch.to_ascii_uppercase();
        if !matches!(base, 'A' | 'C' | 'G' | 'T' | 'N') {
            return Err(RecordProblem::InvalidBase {
                base: ch,
                position: i + 1,
            });
        }
        if base == 'N' {
            n_count += 1;
            if n_count == MAX_N + 1 {
                // Report where the limit was crossed; count the rest for the message.
                let total = seq.chars().filter(|c| c.eq_ignore_ascii_case(&'n')).count();
                return Err(RecordProblem::TooManyN {
                    count: total,
                    position: i + 1,
                });
            }
        }
        upper.push(base as u8);
    }

    let len = upper.len();
    let mut notes = Vec::new();
    let bases: Vec<u8> = if len == RANDOM_LEN {
        notes.push(Note::Flanked);
        [FLANK_5.as_bytes(), &upper, FLANK_3.as_bytes()].concat()
    } else if len.abs_diff(CONSTRUCT_LEN) <= LENGTH_TOLERANCE {
        if len < CONSTRUCT_LEN {
            notes.push(Note::Padded(CONSTRUCT_LEN - len));
            upper.resize(CONSTRUCT_LEN, b'N');
        } else if len > CONSTRUCT_LEN {
            notes.push(Note::Truncated(len - CONSTRUCT_LEN));
            upper.truncate(CONSTRUCT_LEN);
        }
        upper
    } else {
        return Err(RecordProblem::BadLength { length: len });
    };
    let bases: [u8; CONSTRUCT_LEN] = bases.try_into().expect("length checked above");
    Ok((Construct(bases), notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(base: char) -> String {
        std::iter::repeat_n(base, RANDOM_LEN).collect()
    }

    #[test]
    fn reverse_complement_reads_the_other_strand() {
        let (c, _) = prepare(&format!("ACGTN{}", "A".repeat(RANDOM_LEN - 5))).unwrap();
        let rc = c.reverse_complement();
        let pairs = [
            (b'A', b'T'),
            (b'C', b'G'),
            (b'G', b'C'),
            (b'T', b'A'),
            (b'N', b'N'),
        ];
        for (i, &base) in c.bases().iter().enumerate() {
            let other = rc.bases()[CONSTRUCT_LEN - 1 - i];
            assert!(pairs.contains(&(base, other)), "{i}: {base} -> {other}");
        }
        // The region's first bases, ACGTN, end up just before the reversed 5' flank.
        let at = CONSTRUCT_LEN - RANDOM_START - 5;
        assert_eq!(&rc.bases()[at..at + 5], b"NACGT");
        assert_eq!(rc.reverse_complement(), c);
    }

    #[test]
    fn flanks_are_110_bp() {
        assert_eq!(FLANK_5.len() + RANDOM_LEN + FLANK_3.len(), CONSTRUCT_LEN);
    }

    #[test]
    fn random_region_gets_flanks() {
        let (c, notes) = prepare(&region('a')).unwrap();
        assert_eq!(notes, vec![Note::Flanked]);
        assert!(c.as_str().starts_with(FLANK_5));
        assert!(c.as_str().ends_with(FLANK_3));
        assert_eq!(&c.as_str()[RANDOM_START..RANDOM_START + 4], "AAAA");
    }

    #[test]
    fn near_lengths_are_padded_or_truncated() {
        let short = "ACGT".repeat(27); // 108
        let (c, notes) = prepare(&short).unwrap();
        assert_eq!(notes, vec![Note::Padded(2)]);
        assert!(c.as_str().ends_with("TNN"));
        let long = format!("{}ACG", "T".repeat(110));
        let (c, notes) = prepare(&long).unwrap();
        assert_eq!(notes, vec![Note::Truncated(3)]);
        assert_eq!(c.as_str(), "T".repeat(110));
    }

    #[test]
    fn problems_name_positions() {
        let mut s = "A".repeat(110);
        s.replace_range(41..42, "X");
        assert_eq!(
            prepare(&s),
            Err(RecordProblem::InvalidBase {
                base: 'X',
                position: 42
            })
        );
        let s = format!("{}NANNAN", "A".repeat(104));
        assert_eq!(
            prepare(&s),
            Err(RecordProblem::TooManyN {
                count: 4,
                position: 110
            })
        );
        assert_eq!(
            prepare(&"A".repeat(114)),
            Err(RecordProblem::BadLength { length: 114 })
        );
        assert_eq!(prepare(""), Err(RecordProblem::Empty));
    }
}
