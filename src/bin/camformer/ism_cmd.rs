//! `camformer ism`: saturation mutagenesis, one row per mutation.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use camformer::analysis::ism;
use camformer::engine::mutations::{Method, Positions};

use crate::common::{
    IoArgs, ModelArgs, Tally, for_each_construct, open_output, progress, tsv_escape,
};

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
    for_each_construct(&io.input, &bar, &mut tally, |p| {
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
    })?;
    tally.finish(&bar, &mut out)?;
    Ok(ExitCode::SUCCESS)
}
