//! `camformer`: predict expression and run in-silico mutagenesis from the command line.
//!
//! Input files may be FASTA, one sequence per line, or a TSV/CSV table (see
//! `camformer::input::records`); `-` reads standard input / writes standard output. Rejected
//! records are reported on standard error and as rows marked `error` in `predict` output; the
//! rest are still predicted.

use std::process::ExitCode;

use anyhow::Result;
use camformer::engine::mutations::Method;
use clap::{Parser, Subcommand};

mod attribute_cmd;
mod common;
mod design_cmd;
mod ism_cmd;
mod motifs_cmd;
mod predict;
mod score_cmd;
mod variants_cmd;

use common::{IoArgs, ModelArgs};

#[derive(Parser)]
#[command(
    name = "camformer",
    version,
    about = "Camformer yeast promoter expression model"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Predict expression for every input sequence.
    Predict {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        io: IoArgs,
        /// Exit with status 3 if any record was rejected (the others are still written).
        #[arg(long)]
        strict: bool,
    },
    /// Saturation mutagenesis: the predicted effect of every single-base substitution.
    Ism {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        io: IoArgs,
        /// Mutate all 110 positions instead of the 80-bp random region.
        #[arg(long)]
        all_positions: bool,
        /// fast: recompute only what each mutation changes (exact); naive: every mutant
        /// through the whole network. Both give the same deltas up to rounding.
        #[arg(long, default_value = "fast")]
        method: Method,
    },
    /// Motif scanning (as MEME Suite's FIMO) and motif what-if analyses.
    Motifs {
        #[command(subcommand)]
        command: motifs_cmd::MotifsCommand,
    },
    /// Predicted effects of substitutions (or sequence pairs) against a reference.
    Variants(variants_cmd::VariantsArgs),
    /// Mutational robustness of each sequence: the distribution of its single-mutant effects.
    Robustness(variants_cmd::RobustnessArgs),
    /// Design: greedy or beam search over single-base edits to raise or lower expression.
    Design(design_cmd::DesignArgs),
    /// Attributions: gradient x input or the authors' Grad-CAM per position and base.
    Attribute(attribute_cmd::AttributeArgs),
    /// The official DREAM 2022 score of a predictions file (public and private leaderboard).
    Score(score_cmd::ScoreArgs),
    /// Print a model's manifest (or the architecture detected from bare weights).
    Info {
        #[command(flatten)]
        model: ModelArgs,
    },
}

fn info(model: &ModelArgs) -> Result<ExitCode> {
    let predictor = model.load()?;
    match predictor.manifest() {
        Some(m) => println!("{}", m.to_json()),
        None => println!(
            "{}",
            serde_json::to_string_pretty(predictor.config()).expect("config serialises")
        ),
    }
    eprintln!("parameters: {}", predictor.config().parameter_count()?);
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Predict { model, io, strict } => predict::predict(model, io, *strict),
        Command::Ism {
            model,
            io,
            all_positions,
            method,
        } => ism_cmd::ism_command(model, io, *all_positions, *method),
        Command::Variants(args) => variants_cmd::variants(args),
        Command::Robustness(args) => variants_cmd::robustness(args),
        Command::Design(args) => design_cmd::design(args),
        Command::Attribute(args) => attribute_cmd::attribute(args),
        Command::Score(args) => score_cmd::score(args),
        Command::Info { model } => info(model),
        Command::Motifs { command } => motifs_cmd::run(command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("camformer: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
