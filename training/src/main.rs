//! `camformer-training`: train a Camformer model, or evaluate one on measured data.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use camformer::dream::Scorer;
use camformer::manifest::{Manifest, OutputInfo, sha256_hex};
use camformer::weights::{StateDict, StorageDtype};
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
        /// Stop after this many training sequences have been seen in all (counting repeats).
        #[arg(long)]
        max_train: Option<usize>,
        /// Train on a seeded random subset of this many distinct training sequences (learning
        /// curves: accuracy against the amount of data); validation is unchanged.
        #[arg(long)]
        train_subset: Option<usize>,
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
        /// Evaluate only the public-leaderboard rows (needs --public-leaderboard and an idx
        /// column): the rows the shipped model never trained or tuned on.
        #[arg(long, requires = "public_leaderboard")]
        public_only: bool,
        /// Also score other models' predictions on the same rows: a TSV with an `idx` column
        /// and one column per model (e.g. reference_predictions_dev.tsv.gz).
        #[arg(long)]
        compare: Option<PathBuf>,
        #[arg(long, default_value = "cpu")]
        device: String,
    },
    /// Re-save a trained model (for example as f16, half the size) with extra metrics merged
    /// into its manifest.
    Export {
        /// Model directory (manifest.json + weights).
        #[arg(long)]
        model: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Storage precision: f32 or f16.
        #[arg(long, default_value = "f32")]
        dtype: String,
        /// JSON files (e.g. `evaluate` output) merged into the manifest's `metrics`, each under
        /// the key given before `=`: `public_leaderboard=eval.json`.
        #[arg(long)]
        metrics: Vec<String>,
        /// New model name.
        #[arg(long)]
        name: Option<String>,
        /// New description.
        #[arg(long)]
        description: Option<String>,
        /// New description of the output (what the predicted number means).
        #[arg(long)]
        output_description: Option<String>,
    },
}

/// Other models' predictions by `idx`: one map per model column.
fn read_compare(path: &Path) -> Result<Vec<(String, HashMap<usize, f32>)>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut lines = reader.lines();
    let header = lines.next().context("empty comparison file")??;
    let cols: Vec<String> = header.split('\t').map(str::to_string).collect();
    let idx_col = cols
        .iter()
        .position(|c| c == "idx")
        .context("the comparison file needs an 'idx' column")?;
    let mut maps: Vec<(String, HashMap<usize, f32>)> = cols
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != idx_col)
        .map(|(_, c)| (c.clone(), HashMap::new()))
        .collect();
    for (n, line) in lines.enumerate() {
        let line = line?;
        let fields: Vec<&str> = line.split('\t').collect();
        let bad = || format!("{} line {}: malformed", path.display(), n + 2);
        let idx: usize = fields
            .get(idx_col)
            .with_context(bad)?
            .parse()
            .with_context(bad)?;
        let mut k = 0;
        for (i, f) in fields.iter().enumerate() {
            if i == idx_col {
                continue;
            }
            let v: f32 = f.parse().with_context(bad)?;
            maps.get_mut(k).with_context(bad)?.1.insert(idx, v);
            k += 1;
        }
    }
    Ok(maps)
}

/// `camformer-training export`.
fn export(
    model: &Path,
    out: &Path,
    dtype: &str,
    metrics: &[String],
    name: Option<String>,
    description: Option<String>,
    output_description: Option<String>,
) -> Result<()> {
    let dtype = match dtype {
        "f32" => StorageDtype::F32,
        "f16" => StorageDtype::F16,
        other => anyhow::bail!("--dtype must be f32 or f16, not '{other}'"),
    };
    let mpath = model.join("manifest.json");
    let mut manifest = Manifest::from_json(
        &std::fs::read(&mpath).with_context(|| format!("reading {}", mpath.display()))?,
    )?;
    let weights = std::fs::read(model.join(&manifest.weights.file))?;
    manifest.verify(&weights)?;
    let bytes = StateDict::from_safetensors(&weights)?.to_safetensors(dtype)?;
    for entry in metrics {
        let (key, file) = entry
            .split_once('=')
            .with_context(|| format!("--metrics '{entry}': expected KEY=FILE.json"))?;
        let value: serde_json::Value = serde_json::from_slice(
            &std::fs::read(file).with_context(|| format!("reading {file}"))?,
        )?;
        if !manifest.metrics.is_object() {
            manifest.metrics = serde_json::json!({});
        }
        manifest.metrics[key] = value;
    }
    if let Some(n) = name {
        manifest.name = n;
    }
    if let Some(d) = description {
        manifest.description = d;
    }
    if let Some(d) = output_description {
        manifest.output.description = d;
    }
    manifest.weights.file = "model.safetensors".into();
    manifest.weights.sha256 = sha256_hex(&bytes);
    manifest.weights.dtype = dtype;
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("model.safetensors"), &bytes)?;
    std::fs::write(out.join("manifest.json"), manifest.to_json() + "\n")?;
    eprintln!(
        "wrote {} ({} bytes, {:?}) and its manifest",
        out.join("model.safetensors").display(),
        bytes.len(),
        dtype
    );
    Ok(())
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
            train_subset,
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
            let train_set = match train_subset {
                Some(n) if n < train_set.len() => {
                    let mut order: Vec<usize> = (0..train_set.len()).collect();
                    camformer_training::data::Rng(seed ^ 0x5EED_5EB5).shuffle(&mut order);
                    order.truncate(n);
                    order.sort_unstable();
                    train_set.subset(&order)
                }
                _ => train_set,
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
                    // The file name only: a local path means nothing to the model's users.
                    description: format!(
                        "Predicted expression in the units of the training file {}.",
                        data.file_name()
                            .map(|f| f.to_string_lossy().into_owned())
                            .unwrap_or_default()
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
            public_only,
            compare,
            device,
        } => {
            let backend: Backend = device.parse()?;
            let predictor = model_files::load(&model, None, backend.device()?)?;
            // Evaluation reads every row, public-leaderboard rows included.
            let (mut set, report) = Dataset::load(&data, true)?;
            let scorer = public_leaderboard
                .as_deref()
                .map(Scorer::from_public_leaderboard_dir)
                .transpose()?;
            if public_only {
                let public: HashSet<usize> = scorer
                    .as_ref()
                    .expect("clap requires --public-leaderboard")
                    .indices()
                    .into_iter()
                    .collect();
                let keep: Vec<usize> = (0..set.len())
                    .filter(|&i| set.idx[i].is_some_and(|x| public.contains(&x)))
                    .collect();
                set = set.subset(&keep);
            }
            let pred = train::predict_dataset(&predictor, &set)?;
            let mut models = vec![("this_model".to_string(), pred)];
            if let Some(path) = &compare {
                for (name, by_idx) in read_compare(path)? {
                    let p = set
                        .idx
                        .iter()
                        .enumerate()
                        .map(|(row, i)| {
                            i.and_then(|i| by_idx.get(&i).copied()).with_context(|| {
                                format!("{}: no '{name}' prediction for row {row}", path.display())
                            })
                        })
                        .collect::<Result<Vec<f32>>>()?;
                    models.push((name, p));
                }
            }
            let mut summary = serde_json::json!({
                "data": data.file_name().map(|f| f.to_string_lossy().into_owned()),
                "rows": if public_only { "public leaderboard" } else { "all" },
                "load_report": report,
                "n": set.len(),
            });
            for (name, pred) in &models {
                let (r, rho) = train::correlations(pred, &set);
                let mut entry = serde_json::json!({ "pearson_r": r, "r2": r * r, "spearman": rho });
                if let Some(scorer) = &scorer {
                    let by_idx: HashMap<usize, f64> = set
                        .idx
                        .iter()
                        .zip(pred)
                        .filter_map(|(i, &p)| i.map(|i| (i, p as f64)))
                        .collect();
                    let rep = scorer.score(|i| by_idx.get(&i).copied())?;
                    entry["public_leaderboard"] = serde_json::json!({
                        "pearson_score": rep.pearson_score,
                        "spearman_score": rep.spearman_score,
                        "subsets": rep.subsets.iter().map(|(n, s)| serde_json::json!({"subset": n, "n": s.n, "r2": s.pearson * s.pearson, "spearman": s.spearman})).collect::<Vec<_>>(),
                    });
                }
                summary[name.as_str()] = entry;
            }
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::Export {
            model,
            out,
            dtype,
            metrics,
            name,
            description,
            output_description,
        } => export(
            &model,
            &out,
            &dtype,
            &metrics,
            name,
            description,
            output_description,
        )?,
    }
    Ok(())
}
