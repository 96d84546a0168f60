//! Property tests ("fuzzing" on the stable toolchain) for every parser of user files: random
//! and damaged inputs must give an `Ok` or an `Err` with a message, never a panic, and every
//! input record must come out, accepted or rejected, exactly once. See docs/fuzzing.md.
//!
//! Each `proptest!` block runs a small fixed number of cases in the ordinary test command
//! (the whole module takes seconds in release); `PROPTEST_CASES=N` runs `N` cases of every
//! property instead, for long runs:
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release --test tests fuzz::records
//! ```
//!
//! Failures are not written to `proptest-regressions/` files: a failure found here becomes a
//! named regression test next to its property (the `regression_*` tests), which says what
//! broke and cannot go stale when generators change.

mod dream;
mod meme;
mod records;
mod variants;
mod weights;

use proptest::prelude::*;
use proptest::test_runner::Config;

/// The configuration of every property here: `cases` cases, or `PROPTEST_CASES` when set
/// (proptest reads that variable only into configs derived from `Config::default()` that do
/// not set `cases` themselves, so it is looked up here), and no failure-persistence files.
pub fn config(cases: u32) -> Config {
    let default = Config::default();
    Config {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            default.cases
        } else {
            cases
        },
        failure_persistence: None,
        ..default
    }
}

/// Text drawn mostly from `alphabet` (so that the structure a parser looks for appears often),
/// with any other character now and then, up to `max` characters.
pub fn text_from(alphabet: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => proptest::sample::select(alphabet).prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
    ];
    proptest::collection::vec(piece, 0..max).prop_map(|v| v.concat())
}

/// One random edit of a text file, line by line: delete, duplicate, swap, truncate or replace a
/// line or a token, or cut the file at a random character.
#[derive(Debug, Clone)]
pub enum TextEdit {
    /// Delete line `i` (modulo the number of lines).
    DeleteLine(usize),
    /// Repeat line `i`.
    DuplicateLine(usize),
    /// Swap lines `i` and `j`.
    SwapLines(usize, usize),
    /// Insert `text` as a new line before line `i`.
    InsertLine(usize, String),
    /// Replace whitespace-separated token `j` of line `i` by `text`.
    ReplaceToken(usize, usize, String),
    /// Cut line `i` after its `j`-th character.
    CutLine(usize, usize),
    /// Cut the whole file after character `i` (modulo its length).
    Truncate(usize),
}

/// Tokens that damage numbers and keywords in interesting ways.
pub const JUNK_TOKENS: &[&str] = &[
    "",
    "0",
    "-1",
    "1e999",
    "-1e999",
    "NaN",
    "inf",
    "-0",
    "1e-320",
    "18446744073709551616",
    "4294967296",
    "9999999999999999999999",
    "0.5",
    "x",
    "=",
    "==",
    "w=",
    "= 3",
    ">",
    "#",
    "\t",
    " ",
    "é",
    "\u{feff}",
    "MOTIF",
    "letter-probability matrix:",
    "log-odds matrix:",
    "Background letter frequencies",
    "MEME version 4",
    "ALPHABET=",
    "strands:",
];

/// A strategy for [`TextEdit`]s.
pub fn text_edit() -> impl Strategy<Value = TextEdit> {
    let junk = prop_oneof![
        3 => proptest::sample::select(JUNK_TOKENS).prop_map(str::to_string),
        1 => "[ -~]{0,12}",
        1 => any::<String>(),
    ];
    let n = 0usize..1 << 16;
    prop_oneof![
        1 => n.clone().prop_map(TextEdit::DeleteLine),
        1 => n.clone().prop_map(TextEdit::DuplicateLine),
        1 => (n.clone(), n.clone()).prop_map(|(i, j)| TextEdit::SwapLines(i, j)),
        1 => (n.clone(), junk.clone()).prop_map(|(i, t)| TextEdit::InsertLine(i, t)),
        3 => (n.clone(), 0usize..8, junk).prop_map(|(i, j, t)| TextEdit::ReplaceToken(i, j, t)),
        1 => (n.clone(), 0usize..40).prop_map(|(i, j)| TextEdit::CutLine(i, j)),
        1 => n.prop_map(TextEdit::Truncate),
    ]
}

/// Applies `edits` to `text`.
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    for edit in edits {
        let len = lines.len().max(1);
        match edit {
            TextEdit::DeleteLine(i) => {
                if !lines.is_empty() {
                    lines.remove(i % len);
                }
            }
            TextEdit::DuplicateLine(i) => {
                if !lines.is_empty() {
                    let l = lines[i % len].clone();
                    lines.insert(i % len, l);
                }
            }
            TextEdit::SwapLines(i, j) => {
                if !lines.is_empty() {
                    lines.swap(i % len, j % len);
                }
            }
            TextEdit::InsertLine(i, t) => lines.insert(i % (lines.len() + 1), t.clone()),
            TextEdit::ReplaceToken(i, j, t) => {
                if !lines.is_empty() {
                    let line = &mut lines[i % len];
                    let mut tokens: Vec<String> = line.split(' ').map(str::to_string).collect();
                    let k = j % tokens.len();
                    tokens[k] = t.clone();
                    *line = tokens.join(" ");
                }
            }
            TextEdit::CutLine(i, j) => {
                if !lines.is_empty() {
                    let line = &mut lines[i % len];
                    *line = line.chars().take(*j).collect();
                }
            }
            TextEdit::Truncate(i) => {
                let joined = lines.join("\n");
                let n = joined.chars().count();
                let cut: String = joined.chars().take(i % (n + 1)).collect();
                lines = cut.split('\n').map(str::to_string).collect();
            }
        }
    }
    lines.join("\n")
}

/// One random edit of a binary file.
#[derive(Debug, Clone)]
pub enum ByteEdit {
    /// Flip bit `bit` of byte `i` (modulo the length).
    FlipBit(usize, u8),
    /// Set byte `i` to `value`.
    Set(usize, u8),
    /// Cut the file after `i` bytes.
    Truncate(usize),
    /// Insert `bytes` at `i`.
    Insert(usize, Vec<u8>),
    /// Remove `n` bytes at `i`.
    Remove(usize, usize),
}

/// A strategy for [`ByteEdit`]s; `header` weighs edits towards the first `header` bytes (where
/// a file's structure is described).
pub fn byte_edit(header: usize) -> impl Strategy<Value = ByteEdit> {
    let anywhere = 0usize..1 << 24;
    let near = 0usize..header.max(1);
    prop_oneof![
        1 => (anywhere.clone(), 0u8..8).prop_map(|(i, b)| ByteEdit::FlipBit(i, b)),
        3 => (near.clone(), 0u8..8).prop_map(|(i, b)| ByteEdit::FlipBit(i, b)),
        2 => (near.clone(), any::<u8>()).prop_map(|(i, v)| ByteEdit::Set(i, v)),
        1 => (anywhere.clone(), any::<u8>()).prop_map(|(i, v)| ByteEdit::Set(i, v)),
        1 => anywhere.clone().prop_map(ByteEdit::Truncate),
        1 => near.clone().prop_map(ByteEdit::Truncate),
        1 => (near.clone(), proptest::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        1 => (near, 1usize..16).prop_map(|(i, n)| ByteEdit::Remove(i, n)),
        1 => (anywhere, 1usize..64).prop_map(|(i, n)| ByteEdit::Remove(i, n)),
    ]
}

/// Applies `edits` to `bytes`.
pub fn apply_byte_edits(bytes: &[u8], edits: &[ByteEdit]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for edit in edits {
        let len = out.len().max(1);
        match edit {
            ByteEdit::FlipBit(i, b) => {
                if !out.is_empty() {
                    out[i % len] ^= 1 << b;
                }
            }
            ByteEdit::Set(i, v) => {
                if !out.is_empty() {
                    out[i % len] = *v;
                }
            }
            ByteEdit::Truncate(i) => out.truncate(i % (out.len() + 1)),
            ByteEdit::Insert(i, b) => {
                let at = i % (out.len() + 1);
                out.splice(at..at, b.iter().copied());
            }
            ByteEdit::Remove(i, n) => {
                if !out.is_empty() {
                    let at = i % len;
                    let end = (at + n).min(out.len());
                    out.drain(at..end);
                }
            }
        }
    }
    out
}

/// Largest single allocation made by this thread while a [`track_allocations`] guard is alive.
///
/// The test binary's allocator forwards to the system allocator and, only on threads that
/// asked for it, remembers the largest request: enough to show that a file claiming giant
/// tensors or sequences does not make the loader ask for giant buffers.
pub mod alloc_track {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static TRACKING: Cell<bool> = const { Cell::new(false) };
        static LARGEST: Cell<usize> = const { Cell::new(0) };
    }

    /// The system allocator, tracking the largest request on tracking threads.
    pub struct Tracking;

    fn note(size: usize) {
        // `try_with`: allocation can happen while thread-locals are being torn down.
        let _ = TRACKING.try_with(|t| {
            if t.get() {
                let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
            }
        });
    }

    // SAFETY: forwards every call to `System` unchanged.
    unsafe impl GlobalAlloc for Tracking {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            note(new_size);
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static GLOBAL: Tracking = Tracking;

    /// While alive, this thread's allocations are tracked.
    pub struct Guard(());

    impl Guard {
        /// The largest single allocation (bytes) since the guard was made.
        pub fn largest(&self) -> usize {
            LARGEST.with(Cell::get)
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            TRACKING.with(|t| t.set(false));
        }
    }

    /// Starts tracking this thread's allocations.
    pub fn track_allocations() -> Guard {
        LARGEST.with(|l| l.set(0));
        TRACKING.with(|t| t.set(true));
        Guard(())
    }
}
