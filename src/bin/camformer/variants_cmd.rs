//! `camformer variants` (effects of substitutions against a reference) and
//! `camformer robustness` (mutational robustness of each input sequence).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use camformer::analysis::ism;
use camformer::analysis::variants::{self, Robustness};
use camformer::engine::mutations::{Method, Positions};
use camformer::input::records::RecordReader;
use clap::Args;

use crate::common::{IoArgs, ModelArgs, open_input, open_output, tsv_escape, write_table};

/// Arguments of `camformer variants`.
#[derive(Args)]
pub struct VariantsArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// The reference sequence (80-bp random region or 110-bp construct).
    #[arg(long, conflicts_with = "reference_file")]
    reference: Option<String>,
    /// A file whose first record (FASTA, line or TSV) is the reference.
    #[arg(long)]
    reference_file: Option<PathBuf>,
    /// Variants, one set per line: `pos ref alt` triples with 1-based construct positions
    /// (1-110; the random region is 18-97) or random-region positions written `r1`-`r80`
    /// (several per line are applied together, e.g. `89 A G, r40 C T` or `89A>G 57C>T`), or a
    /// reference and an alternative sequence separated by whitespace. Bad lines are reported
    /// on standard error and as `error` rows; the others are evaluated. Edits of a constant
    /// flank are evaluated and marked `flank edit`. The exit status is 3 when a line was
    /// rejected. `-` reads standard input.
    #[arg(long)]
    variants: PathBuf,
    /// Output TSV; '-' for standard output.
    #[arg(long, default_value = "-")]
    output: PathBuf,
}

/// Runs `camformer variants`.
pub fn variants(args: &VariantsArgs) -> Result<ExitCode> {
    let reference = match (&args.reference, &args.reference_file) {
        (Some(seq), _) => seq.clone(),
        (None, Some(path)) => {
            let first = RecordReader::new(open_input(path)?)
                .next()
                .with_context(|| format!("{} holds no sequence", path.display()))???;
            first.sequence
        }
        (None, None) => anyhow::bail!("give the reference with --reference or --reference-file"),
    };
    let mut text = String::new();
    open_input(&args.variants)?.read_to_string(&mut text)?;
    let parsed = variants::parse(&reference, &text)?;
    for e in &parsed.rejected {
        eprintln!("camformer: {e}");
    }
    let predictor = args.model.load()?;
    let predictions = predictor.predict(&variants::batch(&parsed.variants))?;
    let effects = variants::effects(parsed.variants, &predictions)?;
    let mut out = open_output(&args.output)?;
    writeln!(
        out,
        "line\tvariant\treference_prediction\talternative_prediction\tdelta\tnote"
    )?;
    // Rows in line order, the rejected ones in place with their message.
    let mut rejected = parsed.rejected.iter().peekable();
    for e in &effects {
        while let Some(bad) = rejected.next_if(|bad| bad.line < e.variant.line) {
            write_rejected(&mut out, bad)?;
        }
        writeln!(
            out,
            "{}\t{}\t{:.6}\t{:.6}\t{:.6}\t{}",
            e.variant.line,
            e.variant.label,
            e.reference,
            e.alternative,
            e.delta(),
            if e.variant.flank_edit {
                "flank edit"
            } else {
                ""
            }
        )?;
    }
    for bad in rejected {
        write_rejected(&mut out, bad)?;
    }
    out.flush()?;
    eprintln!(
        "camformer: {} variants evaluated, {} lines rejected",
        effects.len(),
        parsed.rejected.len()
    );
    Ok(if parsed.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        // As `predict --strict`: the output holds every line, but not every line was read.
        ExitCode::from(3)
    })
}

/// A rejected variants line as an output row.
fn write_rejected(out: &mut impl Write, bad: &variants::LineError) -> Result<()> {
    writeln!(
        out,
        "{}\t{}\t\t\t\terror: {}",
        bad.line,
        tsv_escape(&bad.text),
        tsv_escape(&bad.message)
    )?;
    Ok(())
}

/// Arguments of `camformer robustness`.
#[derive(Args)]
pub struct RobustnessArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    io: IoArgs,
    /// A single mutant with |delta| below this counts as neutral (robust).
    #[arg(long, default_value_t = 0.1)]
    threshold: f32,
    /// Mutate all 110 positions instead of the 80-bp random region.
    #[arg(long)]
    all_positions: bool,
}

/// Runs `camformer robustness`: one row per input sequence.
pub fn robustness(args: &RobustnessArgs) -> Result<ExitCode> {
    let predictor = args.model.load()?;
    let positions = if args.all_positions {
        Positions::All
    } else {
        Positions::RandomRegion
    };
    let header = "name\tprediction\tmutants\tthreshold\trobust_fraction\tup_fraction\tdown_fraction\tmean_abs_delta\tmax_increase\tmax_decrease";
    write_table(&args.io, header, |p, out| {
        let result = ism::run(&predictor, &p.construct, positions, Method::Fast)?;
        let r = Robustness::from_ism(&result, args.threshold)?;
        writeln!(
            out,
            "{}\t{:.6}\t{}\t{}\t{:.4}\t{:.4}\t{:.4}\t{:.6}\t{:.6}\t{:.6}",
            tsv_escape(&p.record.name),
            r.reference,
            r.mutants,
            r.threshold,
            r.robust_fraction,
            r.up_fraction,
            r.down_fraction,
            r.mean_abs_delta,
            r.max_increase,
            r.max_decrease
        )?;
        Ok(())
    })
}
