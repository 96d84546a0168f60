//! Reading sequence records: FASTA, one sequence per line, or a table (TSV or CSV).
//!
//! The format is detected from the first non-blank line: `>` starts FASTA, a tab means TSV, a
//! comma means CSV, anything else is one sequence per line. CRLF line ends, lower case and blank
//! lines are accepted. Reading is streaming: records come out one at a time, so inputs of
//! millions of sequences need no more memory than one record.
//!
//! Tables are read with or without a header line:
//!
//! - A first line with a field that names the sequence column (one containing `seq` or
//!   `promoter`, or `dna`: `seq`, `sequence`, `dna_seq`, `Promoter`) is a header. No DNA field
//!   can contain those letters, so a data line is never taken for a header.
//! - Without a header the sequence column is found by content on the first data line: the
//!   field with the most A/C/G/T/N letters that is not a number (a bad first sequence is then
//!   still reported as a bad sequence, with its position).
//! - Where the header names them, the measured value comes from a column containing `expr`,
//!   `value` or `measur` (or named `y`/`target`) and the name from `name`/`id`/`idx`/`gene`.
//!   Otherwise the column after the sequence holds the value and the column before it the
//!   name, so `seq,value`, `name,seq` and `name,seq,value` all read as expected.
//! - A measured value of `NA`, `N/A`, `NaN` or an empty field is missing, not an error.
//!
//! The columns are fixed by the header and the first data line; [`RecordReader::layout`] says
//! what was used, so that a user interface can show it.

use std::io::BufRead;

use crate::error::{Error, RecordError, RecordProblem};
use crate::input::sequence::{Construct, Note, prepare};

/// The detected input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `>name` header lines, each followed by one or more sequence lines.
    Fasta,
    /// Tab-separated columns, with or without a header line (the DREAM files are `seq<TAB>value`).
    Tsv,
    /// Comma-separated columns, with or without a header line; fields may be `"quoted"`.
    Csv,
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
    /// A measured value from a table, if any (`NA` and empty fields are `None`).
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

impl Format {
    /// The field separator of a table format.
    fn delimiter(self) -> Option<char> {
        match self {
            Format::Tsv => Some('\t'),
            Format::Csv => Some(','),
            Format::Fasta | Format::Lines => None,
        }
    }
}

/// Which columns of a table hold what (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// The sequence column.
    pub seq: usize,
    /// The measured-value column, if any.
    pub value: Option<usize>,
    /// The name column, if any.
    pub name: Option<usize>,
}

/// How an input was read: its format and, for a table, the header and the columns used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The detected format (`None` for an input without any record).
    pub format: Option<Format>,
    /// The header line of a table, field by field, if it had one.
    pub header: Option<Vec<String>>,
    /// The columns of a table, fixed on its first data line.
    pub columns: Option<Columns>,
}

/// Streaming reader of records from any buffered input.
pub struct RecordReader<R> {
    input: R,
    format: Option<Format>,
    header: Option<Vec<String>>,
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
            header: None,
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

    /// The format, header and columns found so far (complete once a record has been read).
    pub fn layout(&self) -> Layout {
        Layout {
            format: self.format,
            header: self.header.clone(),
            columns: self.columns,
        }
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
            } else if line.contains(',') {
                Format::Csv
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
                Format::Tsv | Format::Csv => {
                    let delimiter = format.delimiter().expect("a table format");
                    let fields = split_fields(line, delimiter);
                    if self.count == 0 && self.header.is_none() && is_header(&fields) {
                        self.header = Some(fields);
                        continue;
                    }
                    let columns = *self
                        .columns
                        .get_or_insert_with(|| find_columns(self.header.as_deref(), &fields));
                    self.count += 1;
                    return Ok(Some(self.table_record(line_no, columns, &fields)));
                }
            }
        }
    }

    fn table_record(
        &self,
        line_no: usize,
        cols: Columns,
        fields: &[String],
    ) -> Result<Record, RecordError> {
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
            && !is_missing(text)
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

/// Whether a header field names the sequence column.
fn names_sequence(field: &str) -> bool {
    let f = field.to_ascii_lowercase();
    f.contains("seq") || f.contains("promoter") || f == "dna"
}

/// Whether a header field names the measured-value column.
fn names_value(field: &str) -> bool {
    let f = field.to_ascii_lowercase();
    ["expr", "value", "measur"].iter().any(|n| f.contains(n)) || f == "y" || f == "target"
}

/// Whether a header field names the name column.
fn names_name(field: &str) -> bool {
    let f = field.to_ascii_lowercase();
    f.contains("name") || ["id", "idx", "index", "gene", "label"].contains(&f.as_str())
}

/// The fields of one table line, trimmed. CSV fields may be quoted (`"a,b"`, `""` for a quote).
fn split_fields(line: &str, delimiter: char) -> Vec<String> {
    if delimiter != ',' || !line.contains('"') {
        return line
            .split(delimiter)
            .map(|f| f.trim().to_string())
            .collect();
    }
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field).trim().to_string()),
            _ => field.push(c),
        }
    }
    fields.push(field.trim().to_string());
    fields
}

/// A measured value that is missing rather than wrong.
fn is_missing(text: &str) -> bool {
    text.is_empty()
        || ["na", "n/a", "nan"]
            .iter()
            .any(|m| text.eq_ignore_ascii_case(m))
}

/// Whether the first line of a table is a header: a field names the sequence column.
fn is_header(fields: &[String]) -> bool {
    fields.iter().any(|f| names_sequence(f))
}

/// The columns of a table, from its header (if any) and its first data line.
fn find_columns(header: Option<&[String]>, first: &[String]) -> Columns {
    if let Some(header) = header {
        let seq = header.iter().position(|f| names_sequence(f)).unwrap_or(0);
        let other =
            |pick: fn(&str) -> bool| (0..header.len()).find(|&i| i != seq && pick(&header[i]));
        // A header names the other columns too, or they are absent.
        return Columns {
            seq,
            value: other(names_value),
            name: other(names_name),
        };
    }
    // By content: the field with the most DNA letters that is not a number (ties: the first).
    let dna_letters = |f: &str| {
        f.bytes()
            .filter(|b| matches!(b.to_ascii_uppercase(), b'A' | b'C' | b'G' | b'T' | b'N'))
            .count()
    };
    let seq = (0..first.len())
        .filter(|&i| !is_missing(&first[i]) && first[i].parse::<f64>().is_err())
        .max_by_key(|&i| (dna_letters(&first[i]), std::cmp::Reverse(i)))
        .unwrap_or(0);
    Columns {
        seq,
        value: (seq + 1 < first.len()).then_some(seq + 1),
        name: seq.checked_sub(1),
    }
}

/// Every record of a text, split into the accepted and the rejected, and how it was read.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// Records ready for the model, in input order.
    pub good: Vec<Prepared>,
    /// Rejected records, in input order, each naming the record and the position.
    pub bad: Vec<RecordError>,
    /// The format, and for a table its header and columns.
    pub layout: Layout,
}

/// Reads all records of a string (for the browser and tests), splitting good from bad.
pub fn parse_text(text: &str) -> Parsed {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let mut reader = RecordReader::new(text.as_bytes());
    for item in reader.by_ref() {
        match item.expect("reading from memory cannot fail") {
            Ok(rec) => match rec.prepare() {
                Ok(p) => good.push(p),
                Err(e) => bad.push(e),
            },
            Err(e) => bad.push(e),
        }
    }
    Parsed {
        good,
        bad,
        layout: reader.layout(),
    }
}

/// [`parse_text`] without the layout: the accepted and the rejected records.
pub fn parse_all(text: &str) -> (Vec<Prepared>, Vec<RecordError>) {
    let parsed = parse_text(text);
    (parsed.good, parsed.bad)
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

    /// (name, sequence, value) of every record; panics on a rejected one.
    fn rows(text: &str) -> Vec<(String, String, Option<f64>)> {
        read(text)
            .into_iter()
            .map(|r| {
                let r = r.unwrap();
                (r.name, r.sequence, r.value)
            })
            .collect()
    }

    fn row(name: &str, seq: &str, value: Option<f64>) -> (String, String, Option<f64>) {
        (name.to_string(), seq.to_string(), value)
    }

    #[test]
    fn csv_with_header_names_the_columns() {
        let text = "name,sequence,expression\np1,ACGTACGT,1.5\np2,TTTTGGGG,NA\n";
        assert_eq!(
            rows(text),
            [
                row("p1", "ACGTACGT", Some(1.5)),
                row("p2", "TTTTGGGG", None)
            ]
        );
        let mut reader = RecordReader::new(text.as_bytes());
        reader.next();
        let layout = reader.layout();
        assert_eq!(layout.format, Some(Format::Csv));
        assert_eq!(layout.header.unwrap(), ["name", "sequence", "expression"]);
        let expected = Columns {
            seq: 1,
            value: Some(2),
            name: Some(0),
        };
        assert_eq!(layout.columns, Some(expected));
    }

    #[test]
    fn headerless_tables_find_the_sequence_by_content() {
        assert_eq!(rows("ACGTAC,1.5\n"), [row("seq_1", "ACGTAC", Some(1.5))]);
        assert_eq!(
            rows("p1\tACGTAC\np2\tGGGCCC\n"),
            [row("p1", "ACGTAC", None), row("p2", "GGGCCC", None)]
        );
        assert_eq!(
            rows("p1\tACGTAC\t-0.5\np2\tGGGCCC\tNaN\n"),
            [row("p1", "ACGTAC", Some(-0.5)), row("p2", "GGGCCC", None)]
        );
        // A name made of DNA letters loses to the longer sequence.
        assert_eq!(
            rows("CAT,ACGTACGT,2\n"),
            [row("CAT", "ACGTACGT", Some(2.0))]
        );
    }

    #[test]
    fn headers_are_read_by_their_names() {
        let text = "gene,Promoter,log_expression\nx1,ACGTAC,3\n";
        assert_eq!(rows(text), [row("x1", "ACGTAC", Some(3.0))]);
        let parsed = parse_text(text);
        assert_eq!(
            parsed.layout.header.unwrap(),
            ["gene", "Promoter", "log_expression"]
        );
        // A header line is not a record: the data line is record 1, on line 2.
        let err = &parse_text("id,dna_seq,y\nx1,ACGTXC,3\n").bad[0];
        assert_eq!((err.record, err.line, err.name.as_str()), (1, 2, "x1"));
        // Columns the header does not name are not read (here: no value column).
        assert_eq!(
            rows("seq\tnotes\nACGTAC\tcheck\n"),
            [row("seq_1", "ACGTAC", None)]
        );
    }

    #[test]
    fn an_unknown_header_is_read_as_data_and_says_so() {
        // No field names a sequence: the line is data and is rejected as record 1 on line 1,
        // so nothing is dropped unseen.
        let parsed = parse_text("id,construct,y\nx1,ACGTAC,3\n");
        assert!(parsed.layout.header.is_none());
        let message = parsed.bad[0].to_string();
        assert!(message.starts_with("record 1 'id' (line 1)"), "{message}");
        let parsed = parse_text("id,construct\nx1,ACGTAC\n");
        let message = parsed.bad[0].to_string();
        assert!(message.contains("'o' at position 2"), "{message}");
    }

    #[test]
    fn a_bad_first_sequence_is_an_error_not_a_header() {
        // It has a number, so it is data; the longest field is taken as the sequence, and the
        // error names its bad base.
        let good = "ACGT".repeat(20);
        let parsed = parse_text(&format!("s1,ACGTXXACGT,1.0\ns2,{good},2.0\n"));
        assert!(parsed.layout.header.is_none());
        assert_eq!(parsed.bad.len(), 1);
        let message = parsed.bad[0].to_string();
        assert!(
            message.contains("'X'") && message.contains("position 5"),
            "{message}"
        );
        assert_eq!(parsed.good.len(), 1);
    }

    #[test]
    fn quoted_csv_fields() {
        let text = "\"name, with comma\",\"ACGTAC\",\"1.25\"\n\"say \"\"hi\"\"\",GGGCCC,\n";
        assert_eq!(
            rows(text),
            [
                row("name, with comma", "ACGTAC", Some(1.25)),
                row("say \"hi\"", "GGGCCC", None)
            ]
        );
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
