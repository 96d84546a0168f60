//! What the subcommands share: model and I/O arguments, progress display, the tally of
//! accepted and rejected records.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use camformer::engine::files as model_files;
use camformer::input::records::{Prepared, RecordReader};
use camformer::{Backend, Predictor, RecordError};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Args)]
pub struct ModelArgs {
    /// Model: a directory with manifest.json, a manifest JSON, or a safetensors file in the
    /// authors' state_dict layout. Without it, the shipped default model (compiled in).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Architecture for bare safetensors weights: original, mini, or a JSON config file.
    /// Detected from the tensor shapes when omitted.
    #[arg(long)]
    pub arch: Option<String>,
    /// Compute backend: cpu or wgpu (Vulkan/Metal/DX12).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Sequences per forward pass.
    #[arg(long, default_value_t = camformer::engine::predictor::DEFAULT_BATCH)]
    pub batch_size: usize,
}

#[derive(Args)]
pub struct IoArgs {
    /// Input sequences (FASTA, one per line, or a TSV/CSV table); '-' for standard input.
    #[arg(long)]
    pub input: PathBuf,
    /// Output TSV; '-' for standard output.
    #[arg(long, default_value = "-")]
    pub output: PathBuf,
}

impl ModelArgs {
    pub fn load(&self) -> Result<Predictor> {
        let backend: Backend = self.device.parse()?;
        let predictor = match &self.weights {
            Some(weights) => model_files::load(weights, self.arch.as_deref(), backend.device()?)
                .with_context(|| format!("loading model {}", weights.display()))?,
            None => {
                if self.arch.is_some() {
                    anyhow::bail!(
                        "--arch only applies to --weights (the default model has a manifest)"
                    );
                }
                Predictor::default_model(backend.device()?).context("loading the default model")?
            }
        };
        Ok(predictor.with_batch_size(self.batch_size))
    }
}

pub fn open_input(path: &Path) -> Result<Box<dyn BufRead>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(io::stdin().lock())));
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(BufReader::with_capacity(1 << 20, file)))
}

pub fn open_output(path: &Path) -> Result<Box<dyn Write>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufWriter::new(io::stdout().lock())));
    }
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(Box::new(BufWriter::new(file)))
}

pub fn progress(what: &str) -> ProgressBar {
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
pub struct Tally {
    pub predicted: usize,
    pub rejected: usize,
    pub adjusted: usize,
}

impl Tally {
    pub fn reject(&mut self, bar: &ProgressBar, e: &RecordError) {
        self.rejected += 1;
        bar.suspend(|| eprintln!("rejected: {e}"));
    }

    /// Counts a record whose sequence was adjusted to become a construct (padded, truncated:
    /// a warning note) and says which on standard error, so nothing is changed silently.
    pub fn note_adjusted(&mut self, bar: &ProgressBar, p: &Prepared) {
        if p.notes.iter().any(|n| n.is_warning()) {
            self.adjusted += 1;
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

    /// Ends a run: flushes `out`, clears the progress display and reports the counts.
    pub fn finish(&self, bar: &ProgressBar, out: &mut dyn Write) -> Result<()> {
        out.flush()?;
        bar.finish_and_clear();
        self.report();
        Ok(())
    }

    pub fn report(&self) {
        eprintln!(
            "camformer: {} predicted, {} rejected, {} adjusted (flanked/padded/truncated; see the note column)",
            self.predicted, self.rejected, self.adjusted
        );
    }
}

/// Runs `each` on every record of `input` that becomes a construct, counting it (and any
/// adjustment, [`Tally::note_adjusted`]); rejects the rest with their record and position.
pub fn for_each_construct(
    input: &Path,
    bar: &ProgressBar,
    tally: &mut Tally,
    mut each: impl FnMut(&Prepared) -> Result<()>,
) -> Result<()> {
    for item in RecordReader::new(open_input(input)?) {
        match item?.and_then(|rec| rec.prepare()) {
            Ok(p) => {
                each(&p)?;
                tally.predicted += 1;
                tally.note_adjusted(bar, &p);
            }
            Err(e) => tally.reject(bar, &e),
        }
        bar.inc(1);
    }
    Ok(())
}

/// Writes one TSV table for the constructs of `io.input`: the `header` line, then what `rows`
/// writes for each construct; rejected and adjusted records are tallied and reported at the
/// end ([`for_each_construct`]). The output is opened here, after whatever the caller checked
/// and loaded first, so a bad model or argument never truncates an existing output file.
pub fn write_table(
    io: &IoArgs,
    header: &str,
    mut rows: impl FnMut(&Prepared, &mut dyn Write) -> Result<()>,
) -> Result<ExitCode> {
    let mut out = open_output(&io.output)?;
    writeln!(out, "{header}")?;
    let bar = progress("sequences");
    let mut tally = Tally::default();
    for_each_construct(&io.input, &bar, &mut tally, |p| rows(p, &mut *out))?;
    tally.finish(&bar, &mut out)?;
    Ok(ExitCode::SUCCESS)
}

/// Replaces characters that would break a TSV cell.
pub fn tsv_escape(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}
