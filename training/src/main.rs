//! `camformer-training`: train a Camformer model, or evaluate one on measured data.

use std::path::PathBuf;

use anyhow::Result;
use camformer::dream::Scorer;
use camformer::manifest::OutputInfo;
use camformer::{Backend, model_files};
use camformer_training::data::Dataset;
use camformer_training::train::{self, ExportInfo, Loss, Schedule, TrainConfig};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "camformer-training",
    version,
    about = "Train and evaluate Camformer models"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model; the best epoch (validation r + rho) is written to --out.
    Train {
        /// Training TSV (.gz allowed): seq<TAB>expr, or with a header naming seq, expr
        /// [, group, public, idx].
        #[arg(long)]
        data: PathBuf,
        /// Validation TSV; without it a seeded split of --data is used (by group if present).
        #[arg(long)]
        val: Option<PathBuf>,
        /// Fraction of --data held out for validation when --val is not given.
        #[arg(long, default_value_t = 0.1)]
        val_fraction: f64,
        /// Architecture: mini, original, or a JSON config file.
        #[arg(long, default_value = "mini")]
        arch: String,
        /// Output directory (model, manifest, metrics.jsonl, checkpoint/).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 50)]
        epochs: usize,
        #[arg(long, default_value_t = 256)]
        batch_size: usize,
        #[arg(long, default_value_t = 1e-3)]
        lr: f64,
        #[arg(long, default_value_t = 1e-3)]
        weight_decay: f64,
        #[arg(long, value_enum, default_value = "mse")]
        loss: Loss,
        #[arg(long, value_enum, default_value = "plateau")]
        schedule: Schedule,
        #[arg(long, default_value_t = 0.5)]
        plateau_factor: f64,
        #[arg(long, default_value_t = 3)]
        plateau_patience: usize,
        /// Plateau schedule: linear learning-rate warm-up over this many first steps (without
        /// one, Mini's dense layer dies in the first steps on MAUDE-scale targets).
        #[arg(long, default_value_t = 200)]
        warmup_steps: usize,
        /// Stop when validation r + rho has not improved for this many epochs.
        #[arg(long, default_value_t = 10)]
        early_stop: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Use at most this many training sequences in all (learning curves).
        #[arg(long)]
        max_train: Option<usize>,
        /// Continue from --out/checkpoint if it exists.
        #[arg(long)]
        resume: bool,
        /// Keep rows with public == 1 (the public-leaderboard test set). Off by default.
        #[arg(long)]
        include_public: bool,
        /// cpu or wgpu.
        #[arg(long, default_value = "cpu")]
        device: String,
        /// Model name for the manifest.
        #[arg(long, default_value = "camformer-model")]
        name: String,
        /// Units of the training targets, for the manifest.
        #[arg(
            long,
            default_value = "measured expression (units of the training file)"
        )]
        units: String,
    },
    /// Evaluate a model on measured data: Pearson r2 and Spearman rho, and, with
    /// --public-leaderboard, the official DREAM public score (needs an idx column).
    Evaluate {
        /// Model directory, manifest or safetensors file.
        #[arg(long)]
        model: PathBuf,
        /// TSV with measured values (as for training).
        #[arg(long)]
        data: PathBuf,
        /// Directory with the DREAM public-leaderboard JSON files.
        #[arg(long)]
        public_leaderboard: Option<PathBuf>,
        #[arg(long, default_value = "cpu")]
        device: String,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Train {
            data,
            val,
            val_fraction,
            arch,
            out,
            epochs,
            batch_size,
            lr,
            weight_decay,
            loss,
            schedule,
            plateau_factor,
            plateau_patience,
            warmup_steps,
            early_stop,
            seed,
            max_train,
            resume,
            include_public,
            device,
            name,
            units,
        } => {
            let (all, report) = Dataset::load(&data, include_public)?;
            eprintln!("{}: {}", data.display(), serde_json::to_string(&report)?);
            let (train_set, val_set) = match &val {
                Some(v) => {
                    let (vset, vreport) = Dataset::load(v, include_public)?;
                    eprintln!("{}: {}", v.display(), serde_json::to_string(&vreport)?);
                    (all, vset)
                }
                None => {
                    let (t, v) = all.split(val_fraction, seed);
                    (all.subset(&t), all.subset(&v))
                }
            };
            eprintln!(
                "training on {} sequences, validating on {}",
                train_set.len(),
                val_set.len()
            );
            let config = TrainConfig {
                arch: model_files::arch_from_arg(&arch)?,
                epochs,
                batch_size,
                lr,
                weight_decay,
                loss,
                schedule,
                plateau_factor,
                plateau_patience,
                early_stop,
                seed,
                max_train,
                warmup_steps,
            };
            let info = ExportInfo {
                name,
                description: format!(
                    "Camformer {} trained with camformer-training on {} sequences from {}.",
                    config.arch.name,
                    train_set.len(),
                    data.file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default()
                ),
                output: OutputInfo {
                    description: format!(
                        "Predicted expression in the units of {}.",
                        data.display()
                    ),
                    units,
                },
                training_data: serde_json::json!({
                    "file": data.file_name().map(|f| f.to_string_lossy().into_owned()),
                    "load_report": report,
                    "train_sequences": train_set.len(),
                    "validation_sequences": val_set.len(),
                    "validation": val.as_ref().map(|v| v.display().to_string()).unwrap_or_else(|| format!("seeded split, fraction {val_fraction}, by group when present")),
                }),
            };
            let backend: Backend = device.parse()?;
            train::train(
                config,
                &train_set,
                &val_set,
                &out,
                resume,
                backend.device()?,
                &info,
            )?;
        }
        Command::Evaluate {
            model,
            data,
            public_leaderboard,
            device,
        } => {
            let backend: Backend = device.parse()?;
            let predictor = model_files::load(&model, None, backend.device()?)?;
            // Evaluation reads every row, public-leaderboard rows included.
            let (set, report) = Dataset::load(&data, true)?;
            let pred = train::predict_dataset(&predictor, &set)?;
            let (r, rho) = train::correlations(&pred, &set);
            let mut summary = serde_json::json!({
                "data": data.display().to_string(),
                "load_report": report,
                "n": set.len(),
                "pearson_r": r, "r2": r * r, "spearman": rho,
            });
            if let Some(dir) = public_leaderboard {
                let scorer = Scorer::from_public_leaderboard_dir(&dir)?;
                let by_idx: std::collections::HashMap<usize, f64> = set
                    .idx
                    .iter()
                    .zip(&pred)
                    .filter_map(|(i, &p)| i.map(|i| (i, p as f64)))
                    .collect();
                let rep = scorer.score(|i| by_idx.get(&i).copied())?;
                summary["public_leaderboard"] = serde_json::json!({
                    "pearson_score": rep.pearson_score,
                    "spearman_score": rep.spearman_score,
                    "subsets": rep.subsets.iter().map(|(n, s)| serde_json::json!({"subset": n, "n": s.n, "r2": s.pearson * s.pearson, "spearman": s.spearman})).collect::<Vec<_>>(),
                });
            }
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
    }
    Ok(())
}
