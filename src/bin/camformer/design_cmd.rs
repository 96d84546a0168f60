//! `camformer design`: greedy or beam search over single-base edits of the random region.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use camformer::analysis::design::{self, DesignConfig, Goal};
use camformer::input::records::RecordReader;
use indicatif::ProgressBar;

use crate::common::{ModelArgs, Tally, open_input, open_output, tsv_escape};

/// Arguments of `camformer design`.
#[derive(clap::Args)]
pub struct DesignArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Starting sequences (FASTA, one per line, or TSV); each is designed separately.
    #[arg(long)]
    input: PathBuf,
    /// maximize or minimize the prediction.
    #[arg(long, default_value = "maximize")]
    goal: Goal,
    /// Most edited positions.
    #[arg(long, default_value_t = 10)]
    max_edits: usize,
    /// Sequences kept per step (1 = greedy search).
    #[arg(long, default_value_t = 1)]
    beam: usize,
    /// Positions that must not change: construct positions in the random region (18-97) or
    /// random-region positions with an r, e.g. `18-27,59` or `r1-r10,r42`.
    #[arg(long, default_value = "")]
    frozen: String,
    /// Output TSV (the trajectory of each sequence); '-' for standard output.
    #[arg(long, default_value = "-")]
    output: PathBuf,
}

/// `18-27,59` or `r1-r10,r42` -> 0-based construct positions (the design checks that they are
/// in the random region, naming the first that is not).
fn parse_frozen(text: &str) -> Result<Vec<usize>> {
    camformer::input::positions::parse_list(text).map_err(|e| anyhow::anyhow!("--frozen: {e}"))
}

/// Runs `camformer design`.
pub fn design(args: &DesignArgs) -> Result<ExitCode> {
    let predictor = args.model.load()?;
    let config = DesignConfig {
        goal: args.goal,
        max_edits: args.max_edits,
        beam_width: args.beam,
        frozen: parse_frozen(&args.frozen)?,
    };
    let mut out = open_output(&args.output)?;
    writeln!(out, "name\tstep\tedit\tsequence\tprediction")?;
    let mut failed = 0;
    // No progress display (design is slow per record, and its rows stream out), but the same
    // stderr report of padded or truncated records as the other commands.
    let (bar, mut tally) = (ProgressBar::hidden(), Tally::default());
    for item in RecordReader::new(open_input(&args.input)?) {
        let prepared = match item?.and_then(|rec| rec.prepare()) {
            Ok(p) => {
                tally.note_adjusted(&bar, &p);
                p
            }
            Err(e) => {
                eprintln!("rejected: {e}");
                failed += 1;
                continue;
            }
        };
        let name = tsv_escape(&prepared.record.name);
        let result = match design::run(&predictor, config.clone(), prepared.construct) {
            Ok(d) => d,
            Err(e) => {
                eprintln!(
                    "rejected: record {} '{}': {e}",
                    prepared.record.number, prepared.record.name
                );
                failed += 1;
                continue;
            }
        };
        for step in result.trajectory() {
            writeln!(
                out,
                "{name}\t{}\t{}\t{}\t{:.6}",
                step.edits,
                step.edit.as_deref().unwrap_or("-"),
                step.sequence,
                step.prediction
            )?;
        }
    }
    out.flush()?;
    Ok(if failed > 0 {
        eprintln!("camformer: {failed} record(s) could not be designed (see above)");
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
