//! `camformer`: predict expression and run in-silico mutagenesis from the command line.
//!
//! Input files may be FASTA, one sequence per line, or `seq<TAB>value` TSV (see
//! `camformer::records`); `-` reads standard input / writes standard output. Rejected records are
//! reported on standard error and as rows marked `error` in `predict` output; the rest are
//! still predicted.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use camformer::ism::{self, Positions};
use camformer::records::{Format, Prepared, RecordReader};
use camformer::{Backend, Predictor, RecordError, model_files};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

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
        method: ism::Method,
    },
    /// Print a model's manifest (or the architecture detected from bare weights).
    Info {
        #[command(flatten)]
        model: ModelArgs,
    },
}

#[derive(Args)]
struct ModelArgs {
    /// Model: a directory with manifest.json, a manifest JSON, or a safetensors file in the
    /// authors' state_dict layout. (No trained default model ships yet, so this is required.)
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Architecture for bare safetensors weights: original, mini, or a JSON config file.
    /// Detected from the tensor shapes when omitted.
    #[arg(long)]
    arch: Option<String>,
    /// Compute backend: cpu or wgpu (Vulkan/Metal/DX12).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Sequences per forward pass.
    #[arg(long, default_value_t = camformer::predictor::DEFAULT_BATCH)]
    batch_size: usize,
}

#[derive(Args)]
struct IoArgs {
    /// Input sequences (FASTA, one per line, or seq<TAB>value TSV); '-' for standard input.
    #[arg(long)]
    input: PathBuf,
    /// Output TSV; '-' for standard output.
    #[arg(long, default_value = "-")]
    output: PathBuf,
}

impl ModelArgs {
    fn load(&self) -> Result<Predictor> {
        let Some(weights) = &self.weights else {
            bail!(
                "--weights is required: no trained default model ships with this build yet. \
                 Pass a model directory, a manifest.json, or a safetensors file (for example \
                 the authors' weights converted with scripts/convert_checkpoint.py)."
            );
        };
        let backend: Backend = self.device.parse()?;
        let predictor = model_files::load(weights, self.arch.as_deref(), backend.device()?)
            .with_context(|| format!("loading model {}", weights.display()))?;
        Ok(predictor.with_batch_size(self.batch_size))
    }
}

fn open_input(path: &Path) -> Result<Box<dyn BufRead>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(io::stdin().lock())));
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(BufReader::with_capacity(1 << 20, file)))
}

fn open_output(path: &Path) -> Result<Box<dyn Write>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufWriter::new(io::stdout().lock())));
    }
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(Box::new(BufWriter::new(file)))
}

fn progress(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{human_pos}} {what} [{{elapsed_precise}}, {{per_sec}}]"
        ))
        .expect("valid template"),
    );
    bar
}

/// Counts of what happened to the input, reported at the end.
#[derive(Default)]
struct Tally {
    predicted: usize,
    rejected: usize,
    adjusted: usize,
}

impl Tally {
    fn reject(&mut self, bar: &ProgressBar, e: &RecordError) {
        self.rejected += 1;
        bar.suspend(|| eprintln!("rejected: {e}"));
    }

    fn report(&self) {
        eprintln!(
            "camformer: {} predicted, {} rejected, {} adjusted (flanked/padded/truncated; see the note column)",
            self.predicted, self.rejected, self.adjusted
        );
    }
}

/// One output row waiting for its batch to be predicted.
enum Pending {
    Good(Prepared),
    Bad(RecordError, String),
}

fn tsv_escape(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
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

fn predict(model: &ModelArgs, io: &IoArgs, strict: bool) -> Result<ExitCode> {
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
            // The format (and so whether there are measured values) is known after one record.
            w.with_measured = reader.format() == Some(Format::Tsv);
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
    w.out.flush()?;
    bar.finish_and_clear();
    w.tally.report();
    Ok(if strict && w.tally.rejected > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn ism_command(
    model: &ModelArgs,
    io: &IoArgs,
    all_positions: bool,
    method: ism::Method,
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
        Command::Predict { model, io, strict } => predict(model, io, *strict),
        Command::Ism {
            model,
            io,
            all_positions,
            method,
        } => ism_command(model, io, *all_positions, *method),
        Command::Info { model } => info(model),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("camformer: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
