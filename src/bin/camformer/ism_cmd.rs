//! `camformer ism`: saturation mutagenesis, one row per mutation.

use std::process::ExitCode;

use anyhow::Result;
use camformer::analysis::ism;
use camformer::engine::mutations::{Method, Positions};

use crate::common::{IoArgs, ModelArgs, tsv_escape, write_table};

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
    write_table(io, "name\tposition\tref\talt\tdelta", |p, out| {
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
        Ok(())
    })
}
