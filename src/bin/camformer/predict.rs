//! `camformer predict`: one output row per input record, in input order.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use camformer::Predictor;
use camformer::RecordError;
use camformer::input::records::{Prepared, RecordReader};

use crate::common::{IoArgs, ModelArgs, Tally, open_input, open_output, progress, tsv_escape};

/// One output row waiting for its batch to be predicted.
enum Pending {
    Good(Prepared),
    Bad(RecordError, String),
}

/// Writes `predict` rows in input order, predicting the good records batch by batch.
struct PredictWriter {
    out: Box<dyn Write>,
    with_measured: bool,
    pending: Vec<Pending>,
    good: usize,
    tally: Tally,
}

impl PredictWriter {
    fn header(&mut self) -> Result<()> {
        let measured = if self.with_measured { "\tmeasured" } else { "" };
        writeln!(self.out, "name\tsequence\tprediction{measured}\tnote")?;
        Ok(())
    }

    fn flush(&mut self, predictor: &Predictor) -> Result<()> {
        let constructs: Vec<_> = self
            .pending
            .iter()
            .filter_map(|p| match p {
                Pending::Good(p) => Some(p.construct),
                Pending::Bad(..) => None,
            })
            .collect();
        let mut predictions = predictor.predict(&constructs)?.into_iter();
        let measured_blank = if self.with_measured { "\t" } else { "" };
        for row in self.pending.drain(..) {
            match row {
                Pending::Good(p) => {
                    let prediction = predictions.next().expect("one prediction per construct");
                    let note: Vec<String> = p.notes.iter().map(ToString::to_string).collect();
                    if p.notes.iter().any(|n| n.is_warning()) {
                        self.tally.adjusted += 1;
                    }
                    let name = tsv_escape(&p.record.name);
                    write!(self.out, "{name}\t{}\t{prediction:.6}", p.construct)?;
                    match (self.with_measured, p.record.value) {
                        (true, Some(v)) => write!(self.out, "\t{v}")?,
                        _ => write!(self.out, "{measured_blank}")?,
                    }
                    writeln!(self.out, "\t{}", note.join("; "))?;
                    self.tally.predicted += 1;
                }
                Pending::Bad(e, raw) => {
                    let (name, raw) = (tsv_escape(&e.name), tsv_escape(&raw));
                    let problem = tsv_escape(&e.problem.to_string());
                    writeln!(
                        self.out,
                        "{name}\t{raw}\tNA{measured_blank}\terror: {problem}"
                    )?;
                }
            }
        }
        self.good = 0;
        Ok(())
    }
}

pub fn predict(model: &ModelArgs, io: &IoArgs, strict: bool) -> Result<ExitCode> {
    let predictor = model.load()?;
    let mut reader = RecordReader::new(open_input(&io.input)?);
    let bar = progress("sequences");
    let mut w = PredictWriter {
        out: open_output(&io.output)?,
        with_measured: false,
        pending: Vec::new(),
        good: 0,
        tally: Tally::default(),
    };
    let mut header_written = false;
    while let Some(item) = reader.next() {
        let item = item?;
        if !header_written {
            // The columns (and so whether there are measured values) are known after one record.
            w.with_measured = reader.layout().columns.is_some_and(|c| c.value.is_some());
            w.header()?;
            header_written = true;
        }
        let row = match item {
            Ok(rec) => match rec.prepare() {
                Ok(p) => Pending::Good(p),
                Err(e) => Pending::Bad(e, rec.sequence),
            },
            Err(e) => Pending::Bad(e, String::new()),
        };
        match &row {
            Pending::Good(_) => w.good += 1,
            Pending::Bad(e, _) => w.tally.reject(&bar, e),
        }
        w.pending.push(row);
        bar.inc(1);
        if w.good == predictor.batch_size() {
            w.flush(&predictor)?;
        }
    }
    if !header_written {
        w.header()?;
    }
    w.flush(&predictor)?;
    w.tally.finish(&bar, &mut w.out)?;
    Ok(if strict && w.tally.rejected > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
