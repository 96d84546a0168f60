//! The DREAM score's readers: predictions files, measured-value files and pair lists, as text
//! of any kind and as generated files with damaged lines; what reads is scored without panics.

use std::sync::LazyLock;

use camformer::score::dream::{PairRule, Predictions, Scorer, TestSet};
use proptest::prelude::*;

use super::{config, text_from};

static PUBLIC: LazyLock<Scorer> = LazyLock::new(|| Scorer::shipped_public_leaderboard().unwrap());

const DREAM_ALPHABET: &[&str] = &[
    "0",
    "1",
    "7",
    "42",
    "0.5",
    "-1.25",
    "1e3",
    "NA",
    "nan",
    "inf",
    "x",
    "\t",
    "\n",
    "\r\n",
    " ",
    "idx",
    "prediction",
    "name",
    "expr",
    "measured",
    "seq",
    "public",
    "high",
    "low",
    "alt_pos",
    "ref_pos",
    "ACGTACGTACGTACGTACGTAC",
    "-",
];

/// Scores whatever reads, against the shipped public leaderboard and a private scorer built
/// from the measured values (both rules): errors are fine, panics are not.
fn score(predictions: &Predictions, test: &TestSet) {
    let Ok((values, _)) = predictions.resolve(test) else {
        return;
    };
    let get = |i: usize| values.get(&i).copied();
    let _ = PUBLIC.score(get);
    for rule in [PairRule::AnyPublicIndex, PairRule::PublicPair] {
        if let Ok(private) = test.private_scorer_with(&PUBLIC, rule) {
            let _ = private.subset_scores(get);
            if private.is_complete() {
                let _ = private.score(get);
            }
        }
    }
}

proptest! {
    #![proptest_config(config(1000))]

    /// Any text as predictions, measured values and pair lists: read or rejected naming a
    /// line (or the empty file); what reads scores or fails cleanly.
    #[test]
    fn arbitrary_text_is_read_or_rejected(
        predictions in prop_oneof![any::<String>(), text_from(DREAM_ALPHABET, 200)],
        measured in prop_oneof![any::<String>(), text_from(DREAM_ALPHABET, 200)],
        pairs in prop_oneof![any::<String>(), text_from(DREAM_ALPHABET, 100)],
        subset in proptest::sample::select(&["SNVs", "motif_tiling", "motif_perturbation", "all", ""][..]),
    ) {
        let n_lines = predictions.lines().count();
        let p = Predictions::parse(&predictions);
        match &p {
            Ok(p) => {
                prop_assert!(p.len() <= n_lines);
                prop_assert!(p.lines().windows(2).all(|w| w[0].line < w[1].line));
                prop_assert!(p.lines().iter().all(|l| l.value.is_none_or(f64::is_finite)));
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with("predictions, line ") || msg == "predictions: the file is empty", "{}", msg);
            }
        }
        let t = TestSet::parse(&measured);
        if let Err(e) = &t {
            let msg = e.to_string();
            prop_assert!(msg.starts_with("measured values, line ") || msg == "measured values: the file is empty", "{}", msg);
        }
        let mut t = t.unwrap_or_default();
        if let Err(e) = t.add_pairs(subset, &pairs) {
            let msg = e.to_string();
            prop_assert!(msg.contains(" pairs, line ") || msg.contains("is not a paired subset"), "{}", msg);
        }
        if let Ok(p) = p {
            score(&p, &t);
        }
    }
}

/// Layouts of a predictions file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Layout {
    /// One number per line.
    Plain,
    /// `idx<TAB>prediction`, no header.
    Indexed,
    /// A header naming `idx` (or `name`) and `prediction`, maybe with an extra column, in
    /// either order.
    Header { name: bool, extra: bool, swap: bool },
    /// A header naming only `prediction`.
    HeaderPredictionOnly,
}

/// Damage done to one data line.
#[derive(Debug, Clone, Copy)]
enum Damage {
    JunkValue(&'static str),
    JunkIndex(&'static str),
    ExtraField,
    MissingField,
    Blank,
}

fn layout() -> impl Strategy<Value = Layout> {
    prop_oneof![
        Just(Layout::Plain),
        Just(Layout::Indexed),
        (any::<bool>(), any::<bool>(), any::<bool>())
            .prop_map(|(name, extra, swap)| Layout::Header { name, extra, swap }),
        Just(Layout::HeaderPredictionOnly),
    ]
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        proptest::sample::select(&["x", "1e999", "-inf", "1,5", "0x1", "--2", "..", "1 2"][..])
            .prop_map(Damage::JunkValue),
        proptest::sample::select(&["-1", "x", "1.5", "18446744073709551616", "+-3", " "][..])
            .prop_map(Damage::JunkIndex),
        Just(Damage::ExtraField),
        Just(Damage::MissingField),
        Just(Damage::Blank),
    ]
}

proptest! {
    #![proptest_config(config(1000))]

    /// Generated predictions files in every layout, with `NA`s, CRLF and trailing blank
    /// lines, and damaged lines: read with one prediction per data line (values and indices
    /// as written), or rejected naming the first damaged line (a blank line anywhere before
    /// the end is reported first: it would shift row-numbered data).
    #[test]
    fn generated_predictions_read_line_by_line(
        layout in layout(),
        rows in proptest::collection::vec(
            (proptest::option::weighted(0.9, -20.0f64..20.0), proptest::option::weighted(0.15, damage())),
            1..15,
        ),
        crlf in any::<bool>(),
        trailing_blanks in 0usize..3,
    ) {
        let header: Option<Vec<&str>> = match layout {
            Layout::Plain | Layout::Indexed => None,
            Layout::HeaderPredictionOnly => Some(vec!["prediction"]),
            Layout::Header { name, extra, swap } => {
                let mut h = vec![if name { "name" } else { "idx" }, "prediction"];
                if swap {
                    h.swap(0, 1);
                }
                if extra {
                    h.push("seq");
                }
                Some(h)
            }
        };
        let mut lines: Vec<String> = header.iter().map(|h| h.join("\t")).collect();
        let offset = lines.len();
        let mut first_blank = None;
        let mut first_bad = None;
        for (k, (value, damage)) in rows.iter().enumerate() {
            let n = offset + k + 1;
            let idx = (k * 7 + 3).to_string();
            let value = value.map_or("NA".to_string(), |v| format!("{v:.6}"));
            let mut fields: Vec<String> = match &header {
                None if layout == Layout::Plain => vec![value.clone()],
                None => vec![idx.clone(), value.clone()],
                Some(h) => h
                    .iter()
                    .map(|c| match *c {
                        "prediction" => value.clone(),
                        "seq" => "ACGT".to_string(),
                        _ => idx.clone(),
                    })
                    .collect(),
            };
            let value_col = header.as_ref().map_or(fields.len() - 1, |h| h.iter().position(|c| *c == "prediction").unwrap());
            let idx_col = match &header {
                None if layout == Layout::Indexed => Some(0),
                None => None,
                Some(h) => h.iter().position(|c| *c == "idx" || *c == "name"),
            };
            let bad = match damage {
                None => false,
                Some(Damage::JunkValue(j)) => {
                    fields[value_col] = j.to_string();
                    true
                }
                Some(Damage::JunkIndex(j)) => match idx_col {
                    Some(c) => {
                        fields[c] = j.to_string();
                        true
                    }
                    None => false,
                },
                // Without a header, the number of fields is the layout.
                Some(Damage::ExtraField) => {
                    fields.push("1.0".into());
                    header.is_none()
                }
                // With one, a missing column that is read is an error.
                Some(Damage::MissingField) => {
                    let needed = value_col.max(idx_col.unwrap_or(0));
                    if header.is_some() && needed > 0 {
                        fields.truncate(needed);
                        true
                    } else {
                        false
                    }
                }
                Some(Damage::Blank) => {
                    fields = vec![String::new()];
                    first_blank.get_or_insert(n);
                    false
                }
            };
            if bad {
                first_bad.get_or_insert(n);
            }
            lines.push(fields.join("\t"));
        }
        // A blank line before the end is an error; blank lines at the end are dropped.
        let last_data = lines.iter().rposition(|l| !l.trim().is_empty()).unwrap_or(0) + 1;
        let first_blank = first_blank.filter(|&b| b < last_data);
        let expected_error = first_blank.or(first_bad);
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = lines.join(end);
        text.push_str(end);
        for _ in 0..trailing_blanks {
            text.push_str(end);
        }
        if lines.iter().all(|l| l.trim().is_empty()) {
            let e = Predictions::parse(&text).unwrap_err().to_string();
            prop_assert_eq!(e, "predictions: the file is empty");
            return Ok(());
        }
        match (Predictions::parse(&text), expected_error) {
            (Ok(p), None) => {
                // The rows up to the last non-blank line.
                let data: Vec<_> = rows
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| offset + k < last_data)
                    .collect();
                prop_assert_eq!(p.len(), data.len());
                for (l, (k, (value, _))) in p.lines().iter().zip(data) {
                    prop_assert_eq!(l.line, offset + k + 1);
                    let want = value.map(|v| format!("{v:.6}").parse::<f64>().unwrap());
                    prop_assert_eq!(l.value, want);
                    let has_idx = !matches!(layout, Layout::Plain | Layout::HeaderPredictionOnly);
                    prop_assert_eq!(l.idx, has_idx.then_some(k * 7 + 3));
                }
            }
            (Err(e), Some(n)) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with(&format!("predictions, line {n}:")), "line {}: {}\n{:?}", n, msg, text);
            }
            (got, want) => {
                return Err(TestCaseError::fail(format!("expected error at {want:?}, got {got:?}\n{text:?}")));
            }
        }
    }

    /// Generated measured-value files (header with `idx`, `expr`, subset flags and `public`,
    /// in any order; or headerless `idx<TAB>expr` / `seq<TAB>expr`), with damaged lines: read
    /// with every row, or rejected naming the first damaged line.
    #[test]
    fn generated_measured_values_read_line_by_line(
        header in prop_oneof![
            Just(None),
            Just(Some(vec!["seq", "expr"])),
            proptest::sample::subsequence(&["idx", "seq", "high", "low", "public", "random", "group"][..], 0..=7)
                .prop_map(|mut cols| { cols.push("expr"); Some(cols) }),
        ],
        rows in proptest::collection::vec(
            (-5.0f64..20.0, proptest::option::weighted(0.12, 0usize..5), 0usize..2),
            1..15,
        ),
        by_sequence in any::<bool>(),
    ) {
        // `Some(vec!["seq", "expr"])` with no header line means seq<TAB>expr rows.
        let (header_line, cols): (Option<String>, Vec<&str>) = match &header {
            None => (None, if by_sequence { vec!["seq", "expr"] } else { vec!["idx", "expr"] }),
            Some(c) if c == &vec!["seq", "expr"] => (None, c.clone()),
            Some(c) => (Some(c.join("\t")), c.clone()),
        };
        // Without a header the first line decides the layout: it is left undamaged (a damaged
        // first line is a damaged layout, which the arbitrary-text property covers).
        let mut rows = rows;
        if header_line.is_none() {
            rows[0].1 = None;
        }
        let mut lines: Vec<String> = header_line.into_iter().collect();
        let offset = lines.len();
        let mut first_blank = None;
        let mut first_bad = None;
        for (k, (value, damage, flag)) in rows.iter().enumerate() {
            let n = offset + k + 1;
            let mut fields: Vec<String> = cols
                .iter()
                .map(|c| match *c {
                    "idx" => (k * 3).to_string(),
                    "seq" => "ACGTACGTACGTACGTACGTAA".to_string(),
                    "expr" => format!("{value:.4}"),
                    "group" => "g".to_string(),
                    _ => flag.to_string(),
                })
                .collect();
            let col = |name: &str| cols.iter().position(|c| *c == name);
            let bad = match damage {
                None => false,
                Some(0) => {
                    fields[col("expr").unwrap()] = "x".into();
                    true
                }
                Some(1) => match col("idx") {
                    Some(c) => {
                        fields[c] = "-3".into();
                        true
                    }
                    None => false,
                },
                Some(2) => match ["high", "low", "public", "random"].iter().find_map(|f| col(f)) {
                    Some(c) => {
                        fields[c] = "2".into();
                        true
                    }
                    None => false,
                },
                Some(3) => {
                    // A repeated index (headerless idx rows, or an idx column).
                    match col("idx") {
                        Some(c) if k > 0 => {
                            fields[c] = ((k - 1) * 3).to_string();
                            true
                        }
                        _ => false,
                    }
                }
                _ => {
                    fields = vec![String::new()];
                    first_blank.get_or_insert(n);
                    false
                }
            };
            if bad {
                first_bad.get_or_insert(n);
            }
            lines.push(fields.join("\t"));
        }
        let last_data = lines.iter().rposition(|l| !l.trim().is_empty()).unwrap_or(0) + 1;
        let first_blank = first_blank.filter(|&b| b < last_data);
        let text = lines.join("\n");
        // The first line decides the layout: a damaged or blank first line is its own case.
        prop_assert!(!lines[0].is_empty(), "the first line is a header or data");
        match (TestSet::parse(&text), first_blank.or(first_bad)) {
            (Ok(t), None) => {
                let n_data = last_data - offset;
                prop_assert_eq!(t.len(), n_data);
                prop_assert_eq!(t.order().len(), n_data);
            }
            (Err(e), Some(n)) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with(&format!("measured values, line {n}:")), "line {}: {}\n{:?}", n, msg, text);
            }
            (got, want) => {
                return Err(TestCaseError::fail(format!("expected error at {want:?}, got {got:?}\n{text:?}")));
            }
        }
    }
}
