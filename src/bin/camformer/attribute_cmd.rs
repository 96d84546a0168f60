//! `camformer attribute`: gradient x input or the authors' Grad-CAM for every input sequence.
//!
//! Output (TSV, positions 1-based in the 110-bp construct the model saw):
//! - default, long form: `name position base attribution`, one row per position and input
//!   channel; `base` is `A`, `C`, `G`, `T`, and for models with the purine-flag encoding (Mini)
//!   also `purine`, the fifth input channel.
//! - `--per-position`: `name position reference attribution`, one row per position, with the
//!   construct's base there; the attribution is the channels' sum (gradient x input) or mean
//!   (Grad-CAM, as the authors' "average GradCAM score").

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use camformer::analysis::attribution::{Attributions, Attributor, Method};
use camformer::engine::files as model_files;
use camformer::input::records::{Prepared, RecordReader};
use camformer::input::sequence::CONSTRUCT_LEN;
use camformer::model::default_model;
use clap::{Args, ValueEnum};

use crate::common::{IoArgs, ModelArgs, Tally, open_input, open_output, progress, tsv_escape};

/// Attribution method on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MethodArg {
    /// Grad-CAM as the Camformer authors computed it (conv output before batch norm, channel
    /// mean, times the input gradient, divided by the maximum).
    Gradcam,
    /// Input times the gradient of the prediction with respect to the input.
    GradXInput,
}

/// Arguments of `camformer attribute`.
#[derive(Args)]
pub struct AttributeArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    io: IoArgs,
    /// Attribution method.
    #[arg(long, value_enum, default_value = "gradcam")]
    method: MethodArg,
    /// Grad-CAM convolution block, 0-based as the authors' `layer_idx` (default: the last).
    #[arg(long)]
    layer: Option<usize>,
    /// One row per position (channels summed for grad-x-input, averaged for Grad-CAM)
    /// instead of one per position and base.
    #[arg(long)]
    per_position: bool,
}

/// Loads the model with batch norm unfolded (Grad-CAM reads the convolution output before
/// batch norm, which the prediction path folds away).
///
/// The model is first loaded as for prediction, which resolves `--weights`/`--arch`, checks
/// the manifest and detects the architecture; then the same weights are read again and built
/// with batch norm kept.
fn load(model: &ModelArgs) -> Result<Attributor> {
    let predictor = model.load()?;
    let device = predictor.device().clone();
    let attributor = match (&model.weights, predictor.manifest()) {
        (None, _) => {
            Attributor::from_manifest(&default_model::manifest()?, default_model::WEIGHTS, device)?
        }
        (Some(path), Some(manifest)) => {
            // As `model_files::load`: the weights file is named relative to the manifest's
            // directory (the given directory, or the manifest file's parent).
            let dir = if path.is_dir() {
                path.as_path()
            } else {
                path.parent().unwrap_or(Path::new("."))
            };
            let weights = model_files::read(&dir.join(&manifest.weights.file))?;
            Attributor::from_manifest(manifest, &weights, device)?
        }
        (Some(path), None) => Attributor::from_weights(
            predictor.config().clone(),
            &model_files::read(path)?,
            device,
        )?,
    };
    Ok(attributor.with_batch_size(model.batch_size))
}

/// Runs `camformer attribute`.
pub fn attribute(args: &AttributeArgs) -> Result<ExitCode> {
    let attributor = load(&args.model).context("loading the model")?;
    let blocks = attributor.config().blocks.len();
    let method = match args.method {
        MethodArg::GradXInput => {
            if args.layer.is_some() {
                anyhow::bail!("--layer applies to --method gradcam only");
            }
            Method::GradientXInput
        }
        MethodArg::Gradcam => {
            let layer = args.layer.unwrap_or(blocks - 1);
            if layer >= blocks {
                anyhow::bail!(
                    "--layer {layer}: the model has {blocks} convolution blocks, numbered 0 to {}",
                    blocks - 1
                );
            }
            Method::GradCam { layer }
        }
    };
    let labels: &[&str] = match attributor.config().encoding.channels() {
        4 => &["A", "C", "G", "T"],
        _ => &["A", "C", "G", "T", "purine"],
    };
    eprintln!("camformer: {method}");

    let mut out = open_output(&args.io.output)?;
    if args.per_position {
        writeln!(out, "name\tposition\treference\tattribution")?;
    } else {
        writeln!(out, "name\tposition\tbase\tattribution")?;
    }
    let bar = progress("sequences");
    let mut tally = Tally::default();
    let mut batch: Vec<Prepared> = Vec::with_capacity(attributor.batch_size());
    let flush = |batch: &mut Vec<Prepared>, tally: &mut Tally, out: &mut dyn Write| {
        if batch.is_empty() {
            return Ok::<_, anyhow::Error>(());
        }
        let constructs: Vec<_> = batch.iter().map(|p| p.construct).collect();
        let result = attributor.attribute(&constructs, method)?;
        write_rows(out, batch, &result, labels, args.per_position)?;
        tally.predicted += batch.len();
        bar.inc(batch.len() as u64);
        batch.clear();
        Ok(())
    };
    for item in RecordReader::new(open_input(&args.io.input)?) {
        match item?.and_then(|rec| rec.prepare()) {
            Ok(p) => {
                tally.note_adjusted(&bar, &p);
                batch.push(p);
                if batch.len() == attributor.batch_size() {
                    flush(&mut batch, &mut tally, &mut out)?;
                }
            }
            Err(e) => tally.reject(&bar, &e),
        }
    }
    flush(&mut batch, &mut tally, &mut out)?;
    tally.finish(&bar, &mut out)?;
    Ok(ExitCode::SUCCESS)
}

fn write_rows(
    out: &mut dyn Write,
    batch: &[Prepared],
    result: &Attributions,
    labels: &[&str],
    per_position: bool,
) -> Result<()> {
    for (i, p) in batch.iter().enumerate() {
        let name = tsv_escape(&p.record.name);
        let bases = p.construct.bases();
        if per_position {
            for (pos, v) in result.per_position(i).iter().enumerate() {
                writeln!(out, "{name}\t{}\t{}\t{v}", pos + 1, bases[pos] as char)?;
            }
        } else {
            let values = result.sequence(i);
            for pos in 0..CONSTRUCT_LEN {
                for (ch, label) in labels.iter().enumerate() {
                    let v = values[ch * CONSTRUCT_LEN + pos];
                    writeln!(out, "{name}\t{}\t{label}\t{v}", pos + 1)?;
                }
            }
        }
    }
    Ok(())
}
