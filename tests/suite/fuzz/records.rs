//! The sequence reader (FASTA, TSV, CSV, one sequence per line): arbitrary text and bytes, and
//! generated files with random damage whose records an independent model of the format counts
//! and judges.

use camformer::RecordProblem;
use camformer::input::records::{Format, Record, RecordReader, parse_all};
use camformer::input::sequence::{CONSTRUCT_LEN, FLANK_3, FLANK_5, RANDOM_LEN};
use proptest::prelude::*;

use super::{config, text_from};

/// Characters that make sequence files: bases, headers, separators, line ends, look-alikes.
const SEQ_ALPHABET: &[&str] = &[
    "A",
    "C",
    "G",
    "T",
    "a",
    "c",
    "g",
    "t",
    "N",
    "n",
    "ACGT",
    "ACGTACGTACGTACGTACGT",
    ">",
    "\n",
    "\r\n",
    "\r",
    "\t",
    ",",
    " ",
    "X",
    "U",
    "-",
    "seq",
    "expr",
    "1.5",
    "NaN",
    "NA",
    "idx",
    "promoter",
    "\u{feff}",
    "é",
];

/// Which of the four formats a text is read as, from its first non-blank line (the
/// documented rule, written out independently of the reader).
fn format_of(text: &str) -> Option<Format> {
    let first = text.split('\n').map(str::trim).find(|l| !l.is_empty())?;
    Some(if first.starts_with('>') {
        Format::Fasta
    } else if first.contains('\t') {
        Format::Tsv
    } else if first.contains(',') {
        Format::Csv
    } else {
        Format::Lines
    })
}

/// Whether the first line of a table is a header (the documented rule): a field contains
/// `seq` or `promoter`, or is `dna`, ignoring case. Quotes are not modelled: texts with a `"`
/// in a CSV first line are left out of the count check (quoting has its own unit tests).
fn is_header(line: &str, delimiter: char) -> bool {
    line.split(delimiter).any(|f| {
        let f = f.trim().to_lowercase();
        f.contains("seq") || f.contains("promoter") || f == "dna"
    })
}

/// How many records a text holds, counted from its lines alone: FASTA headers, table lines
/// (less a header), or non-blank lines; `None` for a CSV whose first line has quotes.
fn expected_records(text: &str) -> Option<usize> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    Some(match format_of(text) {
        None => 0,
        Some(Format::Fasta) => lines.iter().filter(|l| l.starts_with('>')).count(),
        Some(Format::Lines) => lines.len(),
        Some(Format::Tsv) => lines.len() - usize::from(is_header(lines[0], '\t')),
        Some(Format::Csv) if lines[0].contains('"') => return None,
        Some(Format::Csv) => lines.len() - usize::from(is_header(lines[0], ',')),
    })
}

/// What checking a sequence must give, written from the rules in the docs (any case; at most
/// three `N`; 80 bp gets flanks, 107-113 bp is padded or truncated to 110): the construct, or
/// the first problem with its 1-based position.
fn expected_prepare(seq: &str) -> Result<String, RecordProblem> {
    if seq.is_empty() {
        return Err(RecordProblem::Empty);
    }
    let mut ns = 0;
    for (i, c) in seq.chars().enumerate() {
        let up = c.to_ascii_uppercase();
        if !"ACGTN".contains(up) {
            return Err(RecordProblem::InvalidBase {
                base: c,
                position: i + 1,
            });
        }
        if up == 'N' {
            ns += 1;
            if ns == 4 {
                return Err(RecordProblem::TooManyN {
                    count: seq.chars().filter(|c| *c == 'N' || *c == 'n').count(),
                    position: i + 1,
                });
            }
        }
    }
    let up = seq.to_ascii_uppercase();
    match up.len() {
        RANDOM_LEN => Ok(format!("{FLANK_5}{up}{FLANK_3}")),
        107..=113 => {
            let mut s: String = up.chars().take(CONSTRUCT_LEN).collect();
            while s.len() < CONSTRUCT_LEN {
                s.push('N');
            }
            Ok(s)
        }
        length => Err(RecordProblem::BadLength { length }),
    }
}

/// Reads `text` record by record with the streaming reader and checks what every caller relies
/// on; returns the records read (good or bad) as `(number, line, outcome)`.
fn read_and_check(text: &str) -> Vec<(usize, usize, Result<Record, RecordProblem>)> {
    let mut out = Vec::new();
    for item in RecordReader::new(text.as_bytes()) {
        let item = item.expect("reading from memory cannot fail");
        match item {
            Ok(rec) => {
                // The checked construct, or a problem that points into the sequence.
                match rec.prepare() {
                    Ok(p) => {
                        assert!(p.construct.bases().iter().all(|b| b"ACGTN".contains(b)));
                        assert_eq!(p.construct.as_str().len(), CONSTRUCT_LEN);
                        assert_eq!(expected_prepare(&rec.sequence), Ok(p.construct.to_string()));
                    }
                    Err(e) => {
                        check_problem(&rec.sequence, &e.problem);
                        assert_eq!((e.record, e.line), (rec.number, rec.line));
                        assert!(
                            e.to_string()
                                .starts_with(&format!("record {} '", rec.number)),
                            "{e}"
                        );
                    }
                }
                out.push((rec.number, rec.line, Ok(rec)));
            }
            Err(e) => {
                assert!(e.to_string().starts_with(&format!("record {} '", e.record)));
                assert!(e.to_string().contains(&format!("(line {})", e.line)));
                assert!(
                    matches!(
                        e.problem,
                        RecordProblem::Empty
                            | RecordProblem::BadValue { .. }
                            | RecordProblem::Malformed { .. }
                    ),
                    "{e}"
                );
                out.push((e.record, e.line, Err(e.problem)));
            }
        }
    }
    // Every record once, numbered 1.. in input order, lines increasing.
    for (k, (number, _, _)) in out.iter().enumerate() {
        assert_eq!(*number, k + 1, "records are numbered in order");
    }
    assert!(out.windows(2).all(|w| w[0].1 < w[1].1), "lines increase");
    // parse_all (the browser's entry) accounts for the same records.
    let (good, bad) = parse_all(text);
    let mut numbers: Vec<usize> = good
        .iter()
        .map(|p| p.record.number)
        .chain(bad.iter().map(|e| e.record))
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=out.len()).collect::<Vec<_>>());
    assert!(
        good.windows(2)
            .all(|w| w[0].record.number < w[1].record.number)
    );
    assert!(bad.windows(2).all(|w| w[0].record < w[1].record));
    out
}

/// A problem about a sequence names a position inside it, holding what it says.
fn check_problem(seq: &str, problem: &RecordProblem) {
    let chars: Vec<char> = seq.chars().collect();
    match problem {
        RecordProblem::InvalidBase { base, position } => {
            assert!((1..=chars.len()).contains(position), "{problem}");
            assert_eq!(chars[position - 1], *base);
            assert!(
                problem
                    .to_string()
                    .contains(&format!("position {position}"))
            );
        }
        RecordProblem::TooManyN { count, position } => {
            assert!((1..=chars.len()).contains(position), "{problem}");
            assert!(chars[position - 1].eq_ignore_ascii_case(&'n'));
            assert!(*count > 3);
            assert!(
                problem
                    .to_string()
                    .contains(&format!("position {position}"))
            );
        }
        RecordProblem::BadLength { length } => {
            assert_eq!(*length, chars.len());
            assert!(!(107..=113).contains(length) && *length != RANDOM_LEN);
            assert!(problem.to_string().contains("position"), "{problem}");
        }
        RecordProblem::Empty => assert!(seq.is_empty()),
        other => panic!("unexpected problem for a sequence: {other}"),
    }
}

proptest! {
    #![proptest_config(config(1000))]

    /// Any text: no panic, every record once, in order, as many as the lines say.
    #[test]
    fn arbitrary_text_accounts_for_every_record(
        text in prop_oneof![any::<String>(), text_from(SEQ_ALPHABET, 400)]
    ) {
        let read = read_and_check(&text);
        if let Some(n) = expected_records(&text) {
            prop_assert_eq!(read.len(), n);
        }
    }

    /// Any bytes (files are read as bytes): invalid UTF-8 ends reading with an I/O error naming
    /// the line, never a panic; valid UTF-8 reads exactly as the same text does.
    #[test]
    fn arbitrary_bytes_read_or_fail_cleanly(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..600),
            text_from(SEQ_ALPHABET, 300).prop_map(String::into_bytes),
            (text_from(SEQ_ALPHABET, 300), any::<u8>(), any::<prop::sample::Index>()).prop_map(
                |(t, b, i)| {
                    let mut v = t.into_bytes();
                    let at = i.index(v.len() + 1);
                    v.insert(at, b);
                    v
                }
            ),
        ]
    ) {
        let mut n = 0;
        let mut io_error = None;
        for item in RecordReader::new(bytes.as_slice()) {
            match item {
                Ok(_) => n += 1,
                Err(e) => {
                    io_error = Some(e.to_string());
                    break;
                }
            }
        }
        match std::str::from_utf8(&bytes) {
            Ok(text) => {
                prop_assert_eq!(io_error, None);
                if let Some(expected) = expected_records(text) {
                    prop_assert_eq!(n, expected);
                }
            }
            Err(_) => {
                let e = io_error.expect("invalid UTF-8 is an error");
                prop_assert!(e.starts_with("reading line "), "{}", e);
            }
        }
    }
}

/// A sequence for a generated record, with the damage the generator did to it.
fn sequence() -> impl Strategy<Value = String> {
    let len = prop_oneof![
        1 => Just(0usize),
        1 => Just(RANDOM_LEN),
        1 => Just(CONSTRUCT_LEN),
        3 => 105usize..=115,
        1 => 78usize..=82,
        1 => 1usize..=250,
    ];
    let base = prop_oneof![
        40 => proptest::sample::select(&['A', 'C', 'G', 'T', 'a', 'c', 'g', 't'][..]),
        2 => Just('N'),
        1 => Just('n'),
        1 => proptest::sample::select(&['X', 'U', 'B', '-', '*', '.', '0', '#', 'é', '\u{0}'][..]),
    ];
    len.prop_flat_map(move |n| proptest::collection::vec(base.clone(), n))
        .prop_map(|v| v.into_iter().collect())
}

/// A run of `N` written into a sequence.
fn with_n_run(seq: String, at: usize, run: usize) -> String {
    let mut chars: Vec<char> = seq.chars().collect();
    if !chars.is_empty() {
        let at = at % chars.len();
        for c in chars.iter_mut().skip(at).take(run) {
            *c = 'N';
        }
    }
    chars.into_iter().collect()
}

fn damaged_sequence() -> impl Strategy<Value = String> {
    (
        sequence(),
        any::<usize>(),
        prop_oneof![4 => Just(0usize), 1 => 1usize..8],
    )
        .prop_map(|(s, at, run)| with_n_run(s, at, run))
}

/// A generated FASTA record: header, sequence, how it is laid out.
#[derive(Debug, Clone)]
struct FastaRecord {
    /// Space between `>` and the id.
    space: bool,
    id: String,
    description: Option<String>,
    seq: String,
    /// Line widths to wrap the sequence at (cycled).
    widths: Vec<usize>,
    /// Blank (or whitespace-only) lines after each sequence line, cycled.
    blanks: Vec<u8>,
    /// CRLF line ends.
    crlf: bool,
    /// Spaces inside sequence lines (FASTA readers drop them).
    inner_spaces: bool,
}

fn fasta_record() -> impl Strategy<Value = FastaRecord> {
    (
        any::<bool>(),
        "[A-Za-z0-9_.|:-]{0,12}",
        proptest::option::of("[ -~]{0,20}"),
        damaged_sequence(),
        proptest::collection::vec(1usize..130, 1..4),
        proptest::collection::vec(prop_oneof![6 => Just(0u8), 1 => 1u8..3], 1..4),
        any::<bool>(),
        prop_oneof![5 => Just(false), 1 => Just(true)],
    )
        .prop_map(
            |(space, id, description, seq, widths, blanks, crlf, inner_spaces)| FastaRecord {
                space,
                id,
                description,
                seq,
                widths,
                blanks,
                crlf,
                inner_spaces,
            },
        )
}

/// Writes FASTA records; returns the text and, per record, the header's 1-based line, the id
/// the reader must report and the sequence it must read.
fn write_fasta(
    records: &[FastaRecord],
    leading_blanks: usize,
) -> (String, Vec<(usize, String, String)>) {
    let mut text = String::new();
    let mut line = 0;
    let mut push = |text: &mut String, s: &str, crlf: bool| {
        text.push_str(s);
        text.push_str(if crlf { "\r\n" } else { "\n" });
        line += 1;
        line
    };
    for _ in 0..leading_blanks {
        push(&mut text, "  ", false);
    }
    let mut expected = Vec::new();
    for r in records {
        let mut header = String::from(">");
        if r.space {
            header.push(' ');
        }
        header.push_str(&r.id);
        if let Some(d) = &r.description {
            header.push(' ');
            header.push_str(d);
        }
        let at = push(&mut text, &header, r.crlf);
        // The id: the header after '>' up to the first whitespace.
        let id = header[1..]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        expected.push((at, id, r.seq.clone()));
        let chars: Vec<char> = r.seq.chars().collect();
        let mut start = 0;
        let mut k = 0;
        while start < chars.len() {
            let w = r.widths[k % r.widths.len()];
            let mut piece: String = chars[start..(start + w).min(chars.len())].iter().collect();
            if r.inner_spaces && piece.len() > 2 {
                let mid = piece
                    .char_indices()
                    .nth(piece.chars().count() / 2)
                    .unwrap()
                    .0;
                piece.insert(mid, ' ');
                piece.push('\t');
            }
            push(&mut text, &piece, r.crlf);
            for _ in 0..r.blanks[k % r.blanks.len()] {
                push(&mut text, if k % 2 == 0 { "" } else { " \t " }, r.crlf);
            }
            start += w;
            k += 1;
        }
    }
    (text, expected)
}

/// What a written record must read as: its line, name, measured value, and its construct or
/// the problem found.
type Expected = (usize, String, Option<f64>, Result<String, RecordProblem>);

/// Checks every record read against what was written.
fn check_against(text: &str, expected: &[Expected]) -> Result<(), TestCaseError> {
    let read = read_and_check(text);
    prop_assert_eq!(read.len(), expected.len(), "every record accounted for");
    let (good, bad) = parse_all(text);
    prop_assert_eq!(good.len() + bad.len(), expected.len());
    let mut good = good.into_iter().peekable();
    let mut bad = bad.into_iter().peekable();
    for (k, (line, name, value, outcome)) in expected.iter().enumerate() {
        let number = k + 1;
        match outcome {
            Ok(construct) => {
                let p = good.next().expect("an accepted record");
                prop_assert_eq!(p.record.number, number);
                prop_assert_eq!(p.record.line, *line);
                prop_assert_eq!(&p.record.name, name);
                prop_assert_eq!(p.record.value, *value);
                prop_assert_eq!(&p.construct.to_string(), construct);
            }
            Err(problem) => {
                let e = bad.next().expect("a rejected record");
                prop_assert_eq!(e.record, number);
                prop_assert_eq!(e.line, *line);
                prop_assert_eq!(&e.name, name);
                prop_assert_eq!(&e.problem, problem);
            }
        }
    }
    prop_assert!(good.peek().is_none() && bad.peek().is_none());
    Ok(())
}

/// A generated TSV row.
#[derive(Debug, Clone)]
struct TsvRow {
    seq: String,
    value: TsvValue,
    name: String,
    crlf: bool,
}

#[derive(Debug, Clone)]
enum TsvValue {
    Number(f64),
    Empty,
    Junk(&'static str),
}

const JUNK_VALUES: &[&str] = &[
    "x", "NaN", "inf", "-inf", "1e999", "1,5", "--1", "0x10", "1.2.3",
];

fn tsv_row() -> impl Strategy<Value = TsvRow> {
    let value = prop_oneof![
        6 => (-1e6f64..1e6).prop_map(TsvValue::Number),
        1 => Just(TsvValue::Empty),
        1 => proptest::sample::select(JUNK_VALUES).prop_map(TsvValue::Junk),
    ];
    (
        damaged_sequence(),
        value,
        "[A-Za-z0-9_]{0,8}",
        any::<bool>(),
    )
        .prop_map(|(seq, value, name, crlf)| TsvRow {
            seq,
            value,
            name,
            crlf,
        })
}

/// Column layouts of a TSV: headerless `seq<TAB>value`, or a header naming the columns in
/// some order (with spellings and an ignored extra column).
#[derive(Debug, Clone)]
struct TsvLayout {
    /// `None`: no header.
    header: Option<Vec<&'static str>>,
}

fn tsv_layout() -> impl Strategy<Value = TsvLayout> {
    let seq = proptest::sample::select(&["seq", "SEQ", "sequence"][..]);
    let value = proptest::option::of(proptest::sample::select(
        &["expr", "value", "Measured", "expression"][..],
    ));
    let name = proptest::option::of(proptest::sample::select(&["name", "id", "idx"][..]));
    let extra = any::<bool>();
    prop_oneof![
        1 => Just(TsvLayout { header: None }),
        2 => (seq, value, name, extra, any::<prop::sample::Index>()).prop_map(
            |(s, v, n, extra, rot)| {
                let mut cols = vec![s];
                cols.extend(v);
                cols.extend(n);
                // A header of one column has no tab: it would not be read as TSV.
                if extra || cols.len() == 1 {
                    cols.push("group");
                }
                let k = rot.index(cols.len());
                cols.rotate_left(k);
                TsvLayout { header: Some(cols) }
            }
        ),
    ]
}

proptest! {
    #![proptest_config(config(1000))]

    /// FASTA with multi-line sequences, blank lines, CRLF, spaces in sequence lines, empty
    /// ids, header-only records and damaged sequences: every record comes out once, in order,
    /// at its header's line, accepted exactly when the rules accept it.
    #[test]
    fn fasta_records_are_each_accepted_or_rejected(
        records in proptest::collection::vec(fasta_record(), 1..12),
        leading_blanks in 0usize..3,
    ) {
        let (text, written) = write_fasta(&records, leading_blanks);
        let expected: Vec<_> = written
            .into_iter()
            .map(|(line, id, seq)| (line, id, None, expected_prepare(&seq)))
            .collect();
        check_against(&text, &expected)?;
    }

    /// TSV with and without a header, columns in any order, names, values, missing and junk
    /// values and damaged sequences.
    #[test]
    fn tsv_records_are_each_accepted_or_rejected(
        layout in tsv_layout(),
        rows in proptest::collection::vec(tsv_row(), 1..12),
        blank_every in 0usize..5,
    ) {
        // Without a header the first line decides the format: it keeps both fields (a line
        // without a tab would make the file one of plain sequences).
        let mut rows = rows;
        if layout.header.is_none() {
            if rows[0].seq.is_empty() {
                rows[0].seq = "A".into();
            }
            if matches!(rows[0].value, TsvValue::Empty) {
                rows[0].value = TsvValue::Number(0.5);
            }
        }
        let mut text = String::new();
        let mut line = 0;
        if let Some(h) = &layout.header {
            text.push_str(&h.join("\t"));
            text.push('\n');
            line += 1;
        }
        let mut expected = Vec::new();
        let mut number = 0;
        for (k, r) in rows.iter().enumerate() {
            let value_text = match &r.value {
                TsvValue::Number(v) => v.to_string(),
                TsvValue::Empty => String::new(),
                TsvValue::Junk(j) => j.to_string(),
            };
            let fields: Vec<String> = match &layout.header {
                None => vec![r.seq.clone(), value_text.clone()],
                Some(h) => h
                    .iter()
                    .map(|c| match *c {
                        "seq" | "SEQ" | "sequence" => r.seq.clone(),
                        "expr" | "value" | "Measured" | "expression" => value_text.clone(),
                        "name" | "id" | "idx" => r.name.clone(),
                        _ => "g1".to_string(),
                    })
                    .collect(),
            };
            let raw = fields.join("\t");
            text.push_str(&raw);
            text.push_str(if r.crlf { "\r\n" } else { "\n" });
            line += 1;
            let record_line = line;
            if blank_every > 0 && k % blank_every == 0 {
                text.push_str("\t \n");
                line += 1;
            }
            // What the reader sees: the line trimmed, then split at tabs, fields trimmed.
            if raw.trim().is_empty() {
                // An empty sequence and no other field: a blank line, not a record.
                continue;
            }
            let seen: Vec<&str> = raw.trim().split('\t').map(str::trim).collect();
            let col = |names: &[&str]| {
                layout.header.as_ref().map_or(
                    // Headerless: seq<TAB>value.
                    if names.contains(&"seq") { Some(0) } else if names.contains(&"expr") { Some(1) } else { None },
                    |h| h.iter().position(|c| names.iter().any(|n| c.eq_ignore_ascii_case(n))),
                )
            };
            let seq_col = col(&["seq", "sequence"]).expect("a seq column");
            let value_col = col(&["expr", "value", "measured", "expression"]);
            let name_col = layout.header.as_ref().and_then(|h| h.iter().position(|c| ["name", "id", "idx"].contains(c)));
            number += 1;
            let name = name_col
                .and_then(|c| seen.get(c))
                .filter(|s| !s.is_empty())
                .map_or(format!("seq_{number}"), |s| s.to_string());
            let seq = seen.get(seq_col).copied().unwrap_or("");
            // Empty, NA, N/A and NaN are missing values.
            let value = value_col
                .and_then(|c| seen.get(c))
                .filter(|s| !s.is_empty() && !["na", "n/a", "nan"].contains(&s.to_lowercase().as_str()));
            let outcome = if seq.is_empty() {
                Err(RecordProblem::Malformed { reason: format!("no sequence in column {}", seq_col + 1) })
            } else {
                match value.map(|v| v.parse::<f64>()) {
                    Some(Ok(v)) if v.is_finite() => expected_prepare(seq).map(|c| (c, Some(v))),
                    Some(_) => Err(RecordProblem::BadValue { text: value.unwrap().to_string() }),
                    None => expected_prepare(seq).map(|c| (c, None)),
                }
            };
            let value = outcome.as_ref().ok().and_then(|o| o.1);
            expected.push((record_line, name, value, outcome.map(|o| o.0)));
        }
        prop_assert_eq!(format_of(&text), Some(Format::Tsv));
        check_against(&text, &expected)?;
    }

    /// One sequence per line, with blank lines, CRLF, stray FASTA headers (a FASTA file whose
    /// first header is missing is read this way), tabs and spaces inside lines.
    #[test]
    fn plain_lines_are_each_accepted_or_rejected(
        // A plain first line (it decides the format): not empty.
        first in damaged_sequence().prop_map(|s| if s.is_empty() { "A".to_string() } else { s }),
        rest in proptest::collection::vec(
            prop_oneof![
                6 => damaged_sequence(),
                1 => "[A-Za-z0-9_ ]{0,10}".prop_map(|h| format!(">{h}")),
                1 => Just(String::new()),
                1 => (damaged_sequence(), prop_oneof![Just('\t'), Just(' ')], any::<prop::sample::Index>())
                    .prop_map(|(s, c, i)| {
                        let mut s: Vec<char> = s.chars().collect();
                        s.insert(i.index(s.len() + 1), c);
                        s.into_iter().collect()
                    }),
            ],
            0..14,
        ),
        crlf in any::<bool>(),
    ) {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        let mut expected = Vec::new();
        let mut number = 0;
        for (i, l) in std::iter::once(&first).chain(&rest).enumerate() {
            text.push_str(l);
            text.push_str(end);
            let content = l.trim();
            if content.is_empty() {
                continue;
            }
            number += 1;
            let outcome = if content.starts_with('>') {
                Err(RecordProblem::Malformed {
                    reason: "a FASTA header in a file of plain sequences".into(),
                })
            } else {
                expected_prepare(content)
            };
            expected.push((i + 1, format!("seq_{number}"), None, outcome));
        }
        prop_assert_eq!(format_of(&text), Some(Format::Lines));
        check_against(&text, &expected)?;
    }
}
