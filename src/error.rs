//! The crate's one error type.
//!
//! Messages are meant for people: anything about an input record names the record (1-based
//! number and name) and, where there is one, the 1-based position in the sequence as given.

use std::fmt;

/// What is wrong with one input record.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordProblem {
    /// A character other than A, C, G, T or N (any case).
    InvalidBase {
        /// The offending character.
        base: char,
        /// 1-based position in the sequence as given.
        position: usize,
    },
    /// The length is neither 80 (random region), 110 (construct) nor within 110 +/- 3.
    BadLength {
        /// Length of the sequence as given.
        length: usize,
    },
    /// More than the allowed number of `N` (Camformer's training filter).
    TooManyN {
        /// How many `N` the sequence has.
        count: usize,
        /// 1-based position of the first `N` over the limit.
        position: usize,
    },
    /// The record has no sequence.
    Empty,
    /// A TSV value column that is not a number.
    BadValue {
        /// The text found.
        text: String,
    },
    /// A malformed line (for example a TSV line with an empty sequence field).
    Malformed {
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordProblem::InvalidBase { base, position } => write!(
                f,
                "invalid base {base:?} at position {position} (allowed: A, C, G, T, N)"
            ),
            RecordProblem::BadLength { length } => {
                let max = crate::layout::CONSTRUCT_LEN + crate::layout::LENGTH_TOLERANCE;
                if *length > max {
                    write!(
                        f,
                        "length {length} bp: too long from position {} on",
                        max + 1
                    )?;
                } else {
                    write!(
                        f,
                        "length {length} bp: too short, ends at position {length}"
                    )?;
                }
                write!(
                    f,
                    " (expected an 80-bp random region, a 110-bp construct, or 107-113 bp, \
                     which is padded/truncated to 110)"
                )
            }
            RecordProblem::TooManyN { count, position } => write!(
                f,
                "{count} N bases (the limit is {}); the first over the limit is at position {position}",
                crate::layout::MAX_N
            ),
            RecordProblem::Empty => write!(f, "empty sequence"),
            RecordProblem::BadValue { text } => {
                write!(f, "measured value {text:?} is not a number")
            }
            RecordProblem::Malformed { reason } => write!(f, "{reason}"),
        }
    }
}

/// A problem with one input record, naming the record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordError {
    /// 1-based number of the record in its input.
    pub record: usize,
    /// The record's name (FASTA id, or a generated `seq_N`).
    pub name: String,
    /// 1-based line of the input where the record starts.
    pub line: usize,
    /// What is wrong.
    pub problem: RecordProblem,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "record {} '{}' (line {}): {}",
            self.record, self.name, self.line, self.problem
        )
    }
}

impl std::error::Error for RecordError {}

/// Errors of the Camformer library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem with one input record.
    #[error("{0}")]
    Record(#[from] RecordError),
    /// An architecture configuration that cannot be built.
    #[error("architecture: {0}")]
    Config(String),
    /// Weights that do not fit the architecture or cannot be read.
    #[error("weights: {0}")]
    Weights(String),
    /// A manifest that cannot be read or does not match its weights.
    #[error("manifest: {0}")]
    Manifest(String),
    /// A failure inside the tensor backend (for example a lost GPU device).
    #[error("backend: {0}")]
    Backend(String),
    /// Invalid arguments to a library call.
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being read or written.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
