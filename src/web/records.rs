//! Reading the user's records (the input panel): `parseRecords`, `randomRegionStart`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::to_js;
use crate::input::records::{Format, parse_text};
use crate::input::sequence::RANDOM_START;

/// One accepted record, ready for the model.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsRecord {
    number: usize,
    line: usize,
    name: String,
    /// The sequence as given.
    input: String,
    /// The 110-bp construct the model sees.
    construct: String,
    /// A measured value from a TSV input.
    value: Option<f64>,
    /// Adjustments made (flanks added, padding, truncation).
    notes: Vec<String>,
    /// Whether any adjustment deserves a warning (padding or truncation).
    warning: bool,
}

/// One rejected record.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsRejected {
    number: usize,
    line: usize,
    name: String,
    /// The full message, naming the record and the position (as the CLI prints it).
    message: String,
}

/// How the text was read: its format and, for a table, the header and the columns used.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsLayout {
    /// `fasta`, `tsv`, `csv` or `lines` (`null` for a text without records).
    format: Option<&'static str>,
    /// The header line's fields, if the table had one.
    header: Option<Vec<String>>,
    /// 0-based columns of the sequence, the measured value and the name.
    sequence_column: Option<usize>,
    value_column: Option<usize>,
    name_column: Option<usize>,
}

#[derive(Serialize)]
struct JsParsed {
    records: Vec<JsRecord>,
    rejected: Vec<JsRejected>,
    layout: JsLayout,
}

/// Reads FASTA, one sequence per line, or a TSV/CSV table with the CLI's rules
/// (`input::records`).
///
/// Returns `{records: [{number, line, name, input, construct, value, notes, warning}],
/// rejected: [{number, line, name, message}], layout: {format, header, sequenceColumn,
/// valueColumn, nameColumn}}`; nothing is dropped silently.
#[wasm_bindgen(js_name = parseRecords)]
pub fn parse_records(text: &str) -> Result<JsValue, JsError> {
    let parsed = parse_text(text);
    let (good, bad, layout) = (parsed.good, parsed.bad, parsed.layout);
    let parsed = JsParsed {
        layout: JsLayout {
            format: layout.format.map(|f| match f {
                Format::Fasta => "fasta",
                Format::Tsv => "tsv",
                Format::Csv => "csv",
                Format::Lines => "lines",
            }),
            header: layout.header,
            sequence_column: layout.columns.map(|c| c.seq),
            value_column: layout.columns.and_then(|c| c.value),
            name_column: layout.columns.and_then(|c| c.name),
        },
        records: good
            .into_iter()
            .map(|p| JsRecord {
                number: p.record.number,
                line: p.record.line,
                name: p.record.name,
                input: p.record.sequence,
                construct: p.construct.to_string(),
                value: p.record.value,
                warning: p.notes.iter().any(|n| n.is_warning()),
                notes: p.notes.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        rejected: bad
            .into_iter()
            .map(|e| JsRejected {
                number: e.record,
                line: e.line,
                message: e.to_string(),
                name: e.name,
            })
            .collect(),
    };
    to_js(&parsed)
}

/// 0-based start of the random region in a construct (17).
#[wasm_bindgen(js_name = randomRegionStart)]
pub fn random_region_start() -> usize {
    RANDOM_START
}
