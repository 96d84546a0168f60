//! Reading real DREAM files and the rules for turning inputs into constructs.

use camformer::RecordProblem;
use camformer::input::records::{Format, RecordReader, parse_all};
use camformer::input::sequence::Note;

use super::common::data;

#[test]
fn dream_test_sample_reads_by_column_name() {
    // First columns: idx, seq, expr (see tests/data/README.md).
    let text = std::fs::read_to_string(data("dream_test_sample.tsv")).unwrap();
    let mut reader = RecordReader::new(text.as_bytes());
    let first = reader.next().unwrap().unwrap().unwrap();
    assert_eq!(reader.format(), Some(Format::Tsv));
    let row: Vec<&str> = text.lines().nth(1).unwrap().split('\t').collect();
    assert_eq!(first.name, row[0]);
    assert_eq!(first.sequence, row[1]);
    assert_eq!(first.value, Some(row[2].parse().unwrap()));
    let (good, bad) = parse_all(&text);
    assert_eq!(good.len(), text.lines().count() - 1);
    assert!(bad.is_empty());
    assert!(good.iter().all(|p| p.notes.is_empty()));
}

#[test]
fn irregular_training_rows_are_adjusted_or_rejected_never_dropped() {
    // Real rows of the DREAM training subset with lengths 96-111 or N.
    let text = std::fs::read_to_string(data("dream_train_irregular.tsv")).unwrap();
    let rows = text.lines().count() - 1;
    let (good, bad) = parse_all(&text);
    assert_eq!(
        good.len() + bad.len(),
        rows,
        "every record is accounted for"
    );
    for p in &good {
        let len = p.record.sequence.len();
        match len {
            110 => assert!(p.notes.is_empty()),
            107..=109 => assert_eq!(p.notes, vec![Note::Padded(110 - len)]),
            111..=113 => assert_eq!(p.notes, vec![Note::Truncated(len - 110)]),
            _ => panic!("length {len} accepted"),
        }
    }
    for e in &bad {
        let ok = match e.problem {
            RecordProblem::BadLength { length } => !(107..=113).contains(&length),
            RecordProblem::TooManyN { count, .. } => count > 3,
            _ => false,
        };
        assert!(ok, "{e}");
        assert!(
            e.to_string().starts_with(&format!("record {} '", e.record)),
            "{e}"
        );
    }
    assert!(!bad.is_empty());
}

#[test]
fn errors_name_record_and_position() {
    let input = ">good\nACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT\n\
                 >bad_char\nACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACXT\n";
    let (good, bad) = parse_all(input);
    assert_eq!(good.len(), 1);
    assert_eq!(good[0].notes, vec![Note::Flanked]);
    assert_eq!(
        bad[0].to_string(),
        "record 2 'bad_char' (line 3): invalid base 'X' at position 79 (allowed: A, C, G, T, N)"
    );
}
