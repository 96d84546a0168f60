//! Reading sequence records: FASTA, one sequence per line, or DREAM-style `seq<TAB>value` TSV.
//!
//! The format is detected from the first non-blank line: `>` starts FASTA, a tab means TSV,
//! anything else is one sequence per line. CRLF line ends, lower case and blank lines are
//! accepted. Reading is streaming: records come out one at a time, so inputs of millions of
//! sequences need no more memory than one record.
//!
//! A TSV whose first line has a column named `seq` (such as the DREAM test files) is read by
//! column name: `seq`, a measured value from `expr`/`value`/`measured`, and a name from
//! `name`/`id`/`idx` when present.

use std::io::BufRead;

use crate::error::{Error, RecordError, RecordProblem};
use crate::input::sequence::{Construct, Note, prepare};

/// The detected input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `>name` header lines, each followed by one or more sequence lines.
    Fasta,
    /// `seq<TAB>value` per line (headerless DREAM format, or with a header naming `seq`).
    Tsv,
    /// One sequence per line.
    Lines,
}

/// One input record, as read (not yet checked as a sequence).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based number of the record in the input.
    pub number: usize,
    /// 1-based line where the record starts.
    pub line: usize,
    /// FASTA id (header up to the first whitespace), a `name` column, or `seq_<number>`.
    pub name: String,
    /// The sequence as given (whitespace removed).
    pub sequence: String,
    /// A measured value from a TSV, if any.
    pub value: Option<f64>,
}

impl Record {
    /// An error about this record.
    pub fn error(&self, problem: RecordProblem) -> RecordError {
        RecordError {
            record: self.number,
            name: self.name.clone(),
            line: self.line,
            problem,
        }
    }

    /// Checks the sequence and makes the 110-bp construct.
    pub fn prepare(&self) -> Result<Prepared, RecordError> {
        let (construct, notes) = prepare(&self.sequence).map_err(|p| self.error(p))?;
        Ok(Prepared {
            record: self.clone(),
            construct,
            notes,
        })
    }
}

/// A record ready for the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The record as read.
    pub record: Record,
    /// The construct the model sees.
    pub construct: Construct,
    /// Adjustments made on the way (flanks added, padding, truncation).
    pub notes: Vec<Note>,
}

/// Column positions of a TSV with a header line.
#[derive(Debug, Clone, Copy)]
struct Columns {
    seq: usize,
    value: Option<usize>,
    name: Option<usize>,
}

/// Streaming reader of records from any buffered input.
pub struct RecordReader<R> {
    input: R,
    format: Option<Format>,
    columns: Option<Columns>,
    line_no: usize,
    count: usize,
    /// A FASTA header line read ahead: (line number, id).
    pending_header: Option<(usize, String)>,
    buf: String,
    done: bool,
}

impl<R: BufRead> RecordReader<R> {
    /// A reader over `input`; the format is detected on the first record.
    pub fn new(input: R) -> Self {
        RecordReader {
            input,
            format: None,
            columns: None,
            line_no: 0,
            count: 0,
            pending_header: None,
            buf: String::new(),
            done: false,
        }
    }

    /// The detected format (after the first record has been read).
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// Reads the next line, trimmed of surrounding whitespace (CR included); `None` at end of
    /// input.
    fn next_line(&mut self) -> Result<Option<String>, Error> {
        self.buf.clear();
        let n = self
            .input
            .read_line(&mut self.buf)
            .map_err(|e| Error::io(format!("reading line {}", self.line_no + 1), e))?;
        if n == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        Ok(Some(self.buf.trim().to_string()))
    }

    fn next_record(&mut self) -> Result<Option<Result<Record, RecordError>>, Error> {
        if self.done {
            return Ok(None);
        }
        if self.format == Some(Format::Fasta) || self.pending_header.is_some() {
            return self.next_fasta();
        }
        loop {
            let line_no = self.line_no + 1;
            let Some(line) = self.next_line()? else {
                self.done = true;
                return Ok(None);
            };
            let line = line.as_str();
            if line.is_empty() {
                continue;
            }
            let format = *self.format.get_or_insert(if line.starts_with('>') {
                Format::Fasta
            } else if line.contains('\t') {
                Format::Tsv
            } else {
                Format::Lines
            });
            match format {
                Format::Fasta => {
                    if !line.starts_with('>') {
                        unreachable!("format detected from this line")
                    }
                    let id = fasta_id(line);
                    self.pending_header = Some((line_no, id));
                    return self.next_fasta();
                }
                Format::Lines => {
                    self.count += 1;
                    let rec = Record {
                        number: self.count,
                        line: line_no,
                        name: format!("seq_{}", self.count),
                        sequence: line.to_string(),
                        value: None,
                    };
                    if line.starts_with('>') {
                        return Ok(Some(Err(rec.error(RecordProblem::Malformed {
                            reason: "a FASTA header in a file of plain sequences".into(),
                        }))));
                    }
                    return Ok(Some(Ok(rec)));
                }
                Format::Tsv => {
                    let fields: Vec<String> =
                        line.split('\t').map(|f| f.trim().to_string()).collect();
                    if self.count == 0
                        && self.columns.is_none()
                        && let Some(cols) = header_columns(&fields)
                    {
                        self.columns = Some(cols);
                        continue;
                    }
                    self.count += 1;
                    return Ok(Some(self.tsv_record(line_no, &fields)));
                }
            }
        }
    }

    fn tsv_record(&self, line_no: usize, fields: &[String]) -> Result<Record, RecordError> {
        let cols = self.columns.unwrap_or(Columns {
            seq: 0,
            value: Some(1),
            name: None,
        });
        let name = cols
            .name
            .and_then(|i| fields.get(i))
            .filter(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("seq_{}", self.count));
        let mut rec = Record {
            number: self.count,
            line: line_no,
            name,
            sequence: fields.get(cols.seq).cloned().unwrap_or_default(),
            value: None,
        };
        if rec.sequence.is_empty() {
            return Err(rec.error(RecordProblem::Malformed {
                reason: format!("no sequence in column {}", cols.seq + 1),
            }));
        }
        if let Some(text) = cols.value.and_then(|i| fields.get(i))
            && !text.is_empty()
        {
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => rec.value = Some(v),
                _ => return Err(rec.error(RecordProblem::BadValue { text: text.clone() })),
            }
        }
        Ok(rec)
    }

    fn next_fasta(&mut self) -> Result<Option<Result<Record, RecordError>>, Error> {
        let Some((line, name)) = self.pending_header.take() else {
            self.done = true;
            return Ok(None);
        };
        let mut sequence = String::new();
        loop {
            let next_no = self.line_no + 1;
            let Some(text) = self.next_line()? else {
                self.done = true;
                break;
            };
            if let Some(rest) = text.strip_prefix('>') {
                self.pending_header = Some((next_no, fasta_id(&format!(">{rest}"))));
                break;
            }
            sequence.extend(text.chars().filter(|c| !c.is_whitespace()));
        }
        self.count += 1;
        let rec = Record {
            number: self.count,
            line,
            name,
            sequence,
            value: None,
        };
        if rec.sequence.is_empty() {
            return Ok(Some(Err(rec.error(RecordProblem::Empty))));
        }
        Ok(Some(Ok(rec)))
    }
}

impl<R: BufRead> Iterator for RecordReader<R> {
    /// The outer error is an I/O failure that ends reading; the inner one is a bad record,
    /// after which reading continues.
    type Item = Result<Result<Record, RecordError>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

/// The id of a FASTA header line: the text after `>` up to the first whitespace.
fn fasta_id(header: &str) -> String {
    let id = header[1..].split_whitespace().next().unwrap_or("");
    id.to_string()
}

/// Column positions if `fields` is a header line naming a `seq` column.
fn header_columns(fields: &[String]) -> Option<Columns> {
    let find = |names: &[&str]| {
        fields
            .iter()
            .position(|f| names.iter().any(|n| f.eq_ignore_ascii_case(n)))
    };
    let seq = find(&["seq", "sequence"])?;
    Some(Columns {
        seq,
        value: find(&["expr", "value", "measured", "expression"]),
        name: find(&["name", "id", "idx"]),
    })
}

/// Reads all records of a string (for the browser and tests), splitting good from bad.
pub fn parse_all(text: &str) -> (Vec<Prepared>, Vec<RecordError>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for item in RecordReader::new(text.as_bytes()) {
        match item.expect("reading from memory cannot fail") {
            Ok(rec) => match rec.prepare() {
                Ok(p) => good.push(p),
                Err(e) => bad.push(e),
            },
            Err(e) => bad.push(e),
        }
    }
    (good, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Result<Record, RecordError>> {
        RecordReader::new(text.as_bytes())
            .map(|r| r.unwrap())
            .collect()
    }

    #[test]
    fn fasta_multi_line_crlf() {
        let recs = read(">a desc\r\nACGT\r\nacgt\r\n\r\n>b\nTTTT\n");
        assert_eq!(recs.len(), 2);
        let a = recs[0].as_ref().unwrap();
        assert_eq!(
            (a.name.as_str(), a.sequence.as_str(), a.line),
            ("a", "ACGTacgt", 1)
        );
        let b = recs[1].as_ref().unwrap();
        assert_eq!((b.name.as_str(), b.number, b.line), ("b", 2, 5));
    }

    #[test]
    fn tsv_headerless_and_with_header() {
        let recs = read("\nACGT\t1.5\nTTTT\tx\n");
        assert_eq!(recs[0].as_ref().unwrap().value, Some(1.5));
        assert_eq!(recs[0].as_ref().unwrap().line, 2);
        let err = recs[1].as_ref().unwrap_err();
        assert_eq!(err.record, 2);
        assert!(err.to_string().contains("\"x\" is not a number"));

        let recs = read("idx\tseq\texpr\n7\tACGT\t0.25\n");
        let r = recs[0].as_ref().unwrap();
        assert_eq!((r.name.as_str(), r.value, r.number), ("7", Some(0.25), 1));
    }

    #[test]
    fn lines_and_empty_fasta_record() {
        let recs = read("ACGT\n\nGGGG\n");
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].as_ref().unwrap().name, "seq_2");
        let recs = read(">empty\n>full\nACGT\n");
        assert_eq!(recs[0].as_ref().unwrap_err().problem, RecordProblem::Empty);
        assert!(recs[1].is_ok());
    }
}
