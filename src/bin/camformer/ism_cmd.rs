//! `camformer ism`: saturation mutagenesis, one row per mutation.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use camformer::analysis::ism;
use camformer::engine::mutations::{Method, Positions};
use camformer::input::records::RecordReader;

use crate::common::{IoArgs, ModelArgs, Tally, open_input, open_output, progress, tsv_escape};

pub fn ism_command(
    model: &ModelArgs,
    io: &IoArgs,
    all_positions: bool,
    method: Method,
) -> Result<ExitCode> {
    let predictor = model.load()?;
    let positions = if all_positions {
        Positions::All
    } else {
        Positions::RandomRegion
    };
    let mut out = open_output(&io.output)?;
    writeln!(out, "name\tposition\tref\talt\tdelta")?;
    let bar = progress("sequences");
    let mut tally = Tally::default();
    for item in RecordReader::new(open_input(&io.input)?) {
        match item?.and_then(|rec| rec.prepare()) {
            Ok(p) => {
                let result = ism::run(&predictor, &p.construct, positions, method)?;
                let name = tsv_escape(&p.record.name);
                for (m, delta) in &result.effects {
                    writeln!(
                        out,
                        "{name}\t{}\t{}\t{}\t{delta:.6}",
                        m.position + 1,
                        m.reference as char,
                        m.alternative as char
                    )?;
                }
                tally.predicted += 1;
                if p.notes.iter().any(|n| n.is_warning()) {
                    tally.adjusted += 1;
                    let notes: Vec<_> = p.notes.iter().map(ToString::to_string).collect();
                    bar.suspend(|| {
                        eprintln!(
                            "adjusted: record {} '{}': {}",
                            p.record.number,
                            p.record.name,
                            notes.join("; ")
                        )
                    });
                }
            }
            Err(e) => tally.reject(&bar, &e),
        }
        bar.inc(1);
    }
    out.flush()?;
    bar.finish_and_clear();
    tally.report();
    Ok(ExitCode::SUCCESS)
}
