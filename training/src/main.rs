//! `camformer-training`: train a Camformer model, or evaluate one on measured data.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use camformer::Backend;
use camformer::engine::files as model_files;
use camformer::model::manifest::{Manifest, OutputInfo, sha256_hex};
use camformer::model::weights::{StateDict, StorageDtype};
use camformer::score::dream::{PAIR_SUBSETS, Scorer, TestSet};
use camformer_training::augment::Augment;
use camformer_training::backward::{Backward, DropoutMasks};
use camformer_training::bench::{self, BenchConfig};
use camformer_training::cv;
use camformer_training::data::{Dataset, LoadReport, subsample};
use camformer_training::distill::Distill;
use camformer_training::extra::ExtraRows;
use camformer_training::predict;
use camformer_training::step::Loss;
use camformer_training::train::{self, ExportInfo, Schedule, TrainConfig};
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

/// Where a run computes and how it takes gradients (`train`, `cv` and `bench`).
#[derive(clap::Args, Clone, Copy)]
struct EngineArgs {
    /// cpu or wgpu.
    #[arg(long, default_value = "cpu")]
    device: Backend,
    /// Gradient engine: auto (the CPU network's own backward pass on --device cpu, Burn
    /// autodiff on wgpu), autodiff, or cpu-net (CPU only). Same gradients; cpu-net is several
    /// times faster on the CPU (docs/benchmarks.md). Checkpoints work with either.
    #[arg(long, value_enum, default_value = "auto")]
    backward: Backward,
    /// With the cpu-net backward: dropout masks from its own fast generator (own), or from
    /// Burn's, the very masks an autodiff run draws (burn: slower, for comparisons).
    #[arg(long, value_enum, default_value = "own")]
    dropout_masks: DropoutMasks,
}

/// The options of a training run (`train`, and each fold of `cv`).
#[derive(clap::Args, Clone)]
struct TrainArgs {
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
    /// Start no epoch that would end after this many seconds (estimated from the previous
    /// epoch); the best epoch so far is kept. For runs that must fit a fixed window.
    #[arg(long)]
    time_limit_s: Option<f64>,
    /// Continue from --out/checkpoint if it exists.
    #[arg(long)]
    resume: bool,
    /// Keep rows with public == 1 (the public-leaderboard test set). Off by default.
    #[arg(long)]
    include_public: bool,
    #[command(flatten)]
    engine: EngineArgs,
    /// Evolution-inspired augmentation of the training sequences (EvoAug; see
    /// docs/training.md): `key=value` pairs, e.g.
    /// `mutation=0.05,insertion=10,deletion=10,translocation=20,inversion=10,max=2`.
    #[arg(long, value_parser = parse_augment)]
    augment: Option<Augment>,
    /// Train on both strands: each training sequence reverse-complemented (flanks included)
    /// with probability 1/2; validation and held-out predictions are the mean over both
    /// strands (`cv` also writes the forward strand's alone, `fold-K/oof-forward.tsv`).
    #[arg(long)]
    reverse_complement: bool,
    /// Start from the weights of a trained model directory (fine-tuning, e.g. on the
    /// unaugmented data after an --augment run) with a fresh optimiser. For `cv`: a `cv`
    /// output directory, each fold starting from the same fold there.
    #[arg(long)]
    init: Option<PathBuf>,
    /// Distil: train on the mean prediction of these trained models (repeat the flag for an
    /// ensemble) instead of the measured values, plus synthetic neighbours of the training rows
    /// that they label (see docs/training.md). For `cv`: `cv` output directories, each fold
    /// learning from the same fold there (whose models never saw its held-out rows).
    #[arg(long)]
    teacher: Vec<PathBuf>,
    /// With --teacher: synthetic neighbours (mutants of a random training row) per training
    /// row, drawn afresh every epoch; 0 = none.
    #[arg(long, default_value_t = 1.0, requires = "teacher")]
    neighbours: f64,
    /// With --teacher: a neighbour has 1 to this many substitutions in the random region.
    #[arg(long, default_value_t = 2, requires = "teacher")]
    neighbour_mutations: usize,
    /// With --teacher: weight of the teachers' prediction in the training rows' targets (1: the
    /// teachers' alone; 0: the measured values alone). Neighbours always take the teachers'.
    #[arg(long, default_value_t = 1.0, requires = "teacher")]
    teacher_weight: f64,
    /// Extra training rows from another experiment (a TSV like --data, e.g. the DREAM
    /// training-library rows of dream_train_subset.tsv, on a 0-17 scale), added to the training
    /// rows only, never to validation or a held-out fold; their values are quantile-mapped onto
    /// the scale of the training rows flagged `random` (see docs/training.md).
    #[arg(long)]
    extra_data: Option<PathBuf>,
    /// Model name for the manifest.
    #[arg(long, default_value = "camformer-model")]
    name: String,
    /// Units of the training targets, for the manifest.
    #[arg(
        long,
        default_value = "measured expression (units of the training file)"
    )]
    units: String,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model; the best epoch (validation r + rho) is written to --out.
    Train(TrainArgs),
    /// Cross-validation by DREAM `group`: for each fold, train on the other folds (early
    /// stopping on a group split of them) and predict the held-out fold. Writes
    /// --out/fold-K/ (model, metrics, checkpoint, oof.tsv) and, once every fold is done,
    /// --out/oof.tsv with an out-of-fold prediction for every row. Public-leaderboard rows are
    /// included (--include-public is implied).
    Cv {
        #[command(flatten)]
        train: TrainArgs,
        /// Number of folds.
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Run only these folds (0-based; repeat the flag); default: all. Folds run one after
        /// another, so separate processes can share the work.
        #[arg(long)]
        fold: Vec<usize>,
        /// Seed of the fold assignment (kept apart from --seed so that every experiment
        /// shares the same folds).
        #[arg(long, default_value_t = 2026)]
        fold_seed: u64,
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
        /// column). Not held out for the shipped model: most public rows share a `group` with
        /// rows it trained on (see docs/model.md); `cv` gives leak-free numbers.
        #[arg(long, requires = "public_leaderboard")]
        public_only: bool,
        /// Keep only rows whose `group` has no non-public row in --data: for a model trained on
        /// the non-public rows of the same file (as the shipped model), the rows whose relatives
        /// it never saw. The official score needs every public row, so it is left out.
        #[arg(long)]
        unseen_groups: bool,
        /// Also score other models' predictions on the same rows: a TSV with an `idx` column
        /// and one column per model (e.g. reference_predictions_dev.tsv.gz).
        #[arg(long)]
        compare: Option<PathBuf>,
        /// cpu or wgpu.
        #[arg(long, default_value = "cpu")]
        device: Backend,
    },
    /// Scores cross-validation: the out-of-fold predictions (and other models' predictions on
    /// the same rows) on all nine DREAM subsets, the official weighted scores, and the
    /// public-leaderboard rows; prints a Markdown table, writes JSON with --json.
    CvReport {
        /// `oof.tsv` written by `cv`, or its directory (its pooled `oof.tsv`, or else the
        /// folds' `fold-K/oof.tsv`, which must cover every row); repeat the flag to score the
        /// ensemble of several cross-validations (each row's mean prediction; they must share
        /// the data file and the folds).
        #[arg(long, required = true)]
        oof: Vec<PathBuf>,
        /// Measured values with idx, subset flags and public (dream_test_dev.tsv.gz).
        #[arg(long)]
        data: PathBuf,
        /// Directory with pairs_SNVs*.tsv, pairs_motif_perturbation*.tsv, pairs_motif_tiling*.tsv.
        #[arg(long)]
        pairs_dir: Option<PathBuf>,
        /// Other models' predictions by idx (e.g. reference_predictions_dev.tsv.gz).
        #[arg(long)]
        compare: Option<PathBuf>,
        /// Name of the out-of-fold model in the table.
        #[arg(long, default_value = "out-of-fold")]
        name: String,
        /// Write the scores as JSON in the manifest's form (`export --metrics
        /// cross_validation=FILE`): the out-of-fold model's, the others' under
        /// `published_models_on_the_same_rows`.
        #[arg(long)]
        json: Option<PathBuf>,
        /// With --json: the recipe that produced the out-of-fold predictions, written as the
        /// JSON's `procedure` (the manifest then says which training its numbers measure).
        #[arg(long, requires = "json")]
        procedure: Option<String>,
    },
    /// Training-step throughput (sequences/s) and, with --phases, where a step's time goes.
    /// Prints a table on standard error and one JSON object on standard output.
    Bench {
        /// Architecture: mini, original, or a JSON config file.
        #[arg(long, default_value = "mini")]
        arch: String,
        #[command(flatten)]
        engine: EngineArgs,
        #[arg(long, default_value_t = 256)]
        batch_size: usize,
        /// Timed steps.
        #[arg(long, default_value_t = 20)]
        steps: usize,
        /// Untimed steps first (allocation; kernel compilation and autotuning on a GPU).
        #[arg(long, default_value_t = 3)]
        warmup: usize,
        /// Sequences to train on (a TSV as for `train`); without it, seeded random sequences.
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "mse")]
        loss: Loss,
        /// Also time each phase of a step, with a device synchronisation after each phase.
        #[arg(long)]
        phases: bool,
        /// Also time inference on the device: batch prediction and the ISM of one sequence.
        #[arg(long)]
        inference: bool,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Re-save a trained model (for example as f16, half the size) with extra metrics merged
    /// into its manifest.
    Export(ExportArgs),
}

/// `export`'s arguments.
#[derive(clap::Args)]
struct ExportArgs {
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
    /// Metric keys removed from the manifest's `metrics` (for example one a new `--metrics`
    /// entry supersedes); a key that is not there is an error.
    #[arg(long)]
    drop_metric: Vec<String>,
    /// New model name.
    #[arg(long)]
    name: Option<String>,
    /// New description.
    #[arg(long)]
    description: Option<String>,
    /// New description of the output (what the predicted number means).
    #[arg(long)]
    output_description: Option<String>,
}

/// `--augment`'s value.
fn parse_augment(spec: &str) -> Result<Augment, String> {
    Augment::parse(spec).map_err(|e| format!("{e:#}"))
}

/// A path's last component, as the manifest records it (a local path means nothing to the
/// model's users).
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A text file, gunzipped when its name ends in `.gz`.
fn read_text(path: &Path) -> Result<String> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut text = String::new();
    let mut reader: Box<dyn std::io::Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    reader
        .read_to_string(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(text)
}

/// `camformer-training cv-report`.
fn cv_report(
    oof: &[PathBuf],
    data: &Path,
    pairs_dir: Option<&Path>,
    compare: Option<&Path>,
    name: String,
    json: Option<(&Path, Option<String>)>,
) -> Result<()> {
    let mut test = TestSet::parse(&read_text(data)?)?;
    if let Some(dir) = pairs_dir {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()?;
        files.sort();
        for path in files {
            let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
            let Some(subset) = file.as_deref().and_then(|f| {
                PAIR_SUBSETS
                    .into_iter()
                    .find(|s| f.starts_with(&format!("pairs_{s}")) && f.ends_with(".tsv"))
            }) else {
                continue;
            };
            let n = test.add_pairs(subset, &read_text(&path)?)?;
            eprintln!("{subset}: {n} pairs from {}", path.display());
        }
    }
    let mut ours = HashMap::new();
    let mut folds = std::collections::BTreeSet::new();
    let members = oof
        .iter()
        .map(|p| {
            if p.is_dir() {
                cv::read_cv_dir(p)
            } else {
                cv::read_oof(p)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    for row in cv::ensemble(&members)? {
        folds.insert(row.fold);
        let idx = row.idx.with_context(|| {
            format!(
                "{}: row {} has no idx (the data file needs an idx column)",
                oof[0].display(),
                row.row
            )
        })?;
        ours.insert(idx, row.prediction as f64);
    }
    let mut models = vec![(name, ours)];
    if let Some(path) = compare {
        for (column, by_idx) in read_compare(path)? {
            models.push((
                column,
                by_idx.into_iter().map(|(i, v)| (i, v as f64)).collect(),
            ));
        }
    }
    let scores = cv::score_models(&test, &models)?;
    print!("{}", cv::markdown(&scores));
    if let Some((path, procedure)) = json {
        let mut metrics = cv::manifest_metrics(&scores, folds.len());
        if let Some(procedure) = procedure {
            metrics["procedure"] = serde_json::Value::String(procedure);
        }
        std::fs::write(path, serde_json::to_string_pretty(&metrics)? + "\n")?;
    }
    Ok(())
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

/// `camformer-training export`: re-saves a model in `dtype`, with its manifest's metrics edited
/// (dropped keys first, then the merged files) and its name and descriptions replaced where
/// given. Reads everything before writing, so `--out` may be the model's own directory.
fn export(args: ExportArgs) -> Result<()> {
    let ExportArgs {
        model,
        out,
        dtype,
        metrics,
        drop_metric,
        name,
        description,
        output_description,
    } = args;
    let dtype = match dtype.as_str() {
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
    for key in &drop_metric {
        let removed = manifest
            .metrics
            .as_object_mut()
            .and_then(|metrics| metrics.remove(key));
        anyhow::ensure!(
            removed.is_some(),
            "--drop-metric '{key}': the manifest of {} has no such metric",
            model.display()
        );
    }
    for entry in &metrics {
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
    std::fs::create_dir_all(&out)?;
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

impl TrainArgs {
    /// The hyperparameters.
    fn config(&self) -> Result<TrainConfig> {
        Ok(TrainConfig {
            arch: model_files::arch_from_arg(&self.arch)?,
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            weight_decay: self.weight_decay,
            loss: self.loss,
            schedule: self.schedule,
            plateau_factor: self.plateau_factor,
            plateau_patience: self.plateau_patience,
            early_stop: self.early_stop,
            seed: self.seed,
            max_train: self.max_train,
            warmup_steps: self.warmup_steps,
            time_limit_s: self.time_limit_s,
            backward: self.engine.backward,
            dropout_masks: self.engine.dropout_masks,
            augment: self.augment,
            reverse_complement: self.reverse_complement,
            init: self.init.clone(),
            distill: self.distill(),
            extra: self.extra_data.clone().map(|path| ExtraRows { path }),
        })
    }

    /// The distillation settings, when teachers are given (checked when training starts).
    fn distill(&self) -> Option<Distill> {
        (!self.teacher.is_empty()).then(|| Distill {
            teachers: self.teacher.clone(),
            neighbours: self.neighbours,
            max_mutations: self.neighbour_mutations,
            teacher_weight: self.teacher_weight,
        })
    }

    /// The data file's name.
    fn data_name(&self) -> String {
        file_name(&self.data)
    }

    /// The extra rows' file name, if any.
    fn extra_name(&self) -> Option<String> {
        self.extra_data.as_deref().map(file_name)
    }

    /// What the exported manifest says about the model and its data.
    fn export_info(
        &self,
        arch: &str,
        train_len: usize,
        val_len: usize,
        validation: String,
        report: &LoadReport,
    ) -> ExportInfo {
        ExportInfo {
            name: self.name.clone(),
            description: format!(
                "Camformer {arch} trained with camformer-training on {train_len} sequences from {}{}.",
                self.data_name(),
                self.extra_name()
                    .map(|e| format!(
                        " and the rows of {e} (their values quantile-mapped onto that scale)"
                    ))
                    .unwrap_or_default()
            ),
            output: OutputInfo {
                description: format!(
                    "Predicted expression in the units of the training file {}.",
                    self.data_name()
                ),
                units: self.units.clone(),
            },
            training_data: serde_json::json!({
                "file": self.data_name(),
                "extra_file": self.extra_name(),
                "load_report": report,
                "train_sequences": train_len,
                "validation_sequences": val_len,
                "validation": validation,
            }),
        }
    }

    fn device(&self) -> Result<burn::tensor::Device> {
        Ok(self.engine.device.device()?)
    }
}

/// `camformer-training train`.
fn train_command(args: TrainArgs) -> Result<()> {
    let (all, report) = Dataset::load(&args.data, args.include_public)?;
    eprintln!(
        "{}: {}",
        args.data.display(),
        serde_json::to_string(&report)?
    );
    let (train_set, val_set) = match &args.val {
        Some(v) => {
            let (vset, vreport) = Dataset::load(v, args.include_public)?;
            eprintln!("{}: {}", v.display(), serde_json::to_string(&vreport)?);
            (all, vset)
        }
        None => {
            let (t, v) = all.split(args.val_fraction, args.seed);
            (all.subset(&t), all.subset(&v))
        }
    };
    let train_set = match args.train_subset {
        // Only copy the rows when a subset is asked for (the full training file is 350 MB).
        Some(_) => {
            let rows = subsample((0..train_set.len()).collect(), args.train_subset, args.seed);
            train_set.subset(&rows)
        }
        None => train_set,
    };
    eprintln!(
        "training on {} sequences, validating on {}",
        train_set.len(),
        val_set.len()
    );
    let config = args.config()?;
    let validation = args
        .val
        .as_ref()
        .map(|v| v.display().to_string())
        .unwrap_or_else(|| {
            format!(
                "seeded split, fraction {}, by group when present",
                args.val_fraction
            )
        });
    let info = args.export_info(
        &config.arch.name,
        train_set.len(),
        val_set.len(),
        validation,
        &report,
    );
    train::train(
        config,
        &train_set,
        &val_set,
        &args.out,
        args.resume,
        args.device()?,
        &info,
    )?;
    Ok(())
}

/// `camformer-training cv`.
fn cv_command(args: TrainArgs, folds: usize, only: &[usize], fold_seed: u64) -> Result<()> {
    if args.val.is_some() {
        anyhow::bail!("cv makes its own validation split of the training folds: drop --val");
    }
    // Every row takes part: the public-leaderboard rows are just rows here.
    let (data, report) = Dataset::load(&args.data, true)?;
    eprintln!(
        "{}: {}",
        args.data.display(),
        serde_json::to_string(&report)?
    );
    let assignment = cv::group_folds(&data, folds, fold_seed)?;
    let run: Vec<usize> = if only.is_empty() {
        (0..folds).collect()
    } else {
        only.to_vec()
    };
    if let Some(bad) = run.iter().find(|&&f| f >= folds) {
        anyhow::bail!("--fold {bad}: folds are numbered 0 to {}", folds - 1);
    }
    std::fs::create_dir_all(&args.out)?;
    let cross_validation = cv::CrossValidation {
        data: &data,
        folds: &assignment,
        val_fraction: args.val_fraction,
        subset: args.train_subset,
        out: &args.out,
        resume: args.resume,
        device: args.device()?,
    };
    for &fold in &run {
        let config = args.config()?;
        let held_out = assignment.iter().filter(|&&f| f == fold).count();
        let validation = format!(
            "fold {fold} of {folds} by group (fold seed {fold_seed}) held out; early stopping on a seeded group split (fraction {}) of the other folds",
            args.val_fraction
        );
        let info = args.export_info(
            &config.arch.name,
            data.len() - held_out,
            held_out,
            validation,
            &report,
        );
        cross_validation.run_fold(config, fold, &info)?;
    }
    match cv::gather(&args.out, folds, data.len())? {
        Some(rows) => {
            let path = args.out.join("oof.tsv");
            cv::write_oof(&path, &rows)?;
            let pred: Vec<f32> = rows.iter().map(|r| r.prediction).collect();
            let (r, rho) = train::correlations(&pred, &data);
            eprintln!(
                "all {folds} folds done: out-of-fold r2 {:.4}, rho {rho:.4} on {} rows; {}",
                r * r,
                rows.len(),
                path.display()
            );
        }
        None => eprintln!("other folds are still to run; oof.tsv is written when all are done"),
    }
    Ok(())
}

/// `camformer-training bench`.
fn bench(
    config: BenchConfig,
    data: Option<&Path>,
    backend: Backend,
    phases: bool,
    inference: bool,
) -> Result<()> {
    let dataset = match data {
        Some(path) => Dataset::load(path, true)?.0,
        None => bench::random_dataset(4096, config.seed),
    };
    // One device for all measurements: a second wgpu device would register the runtime twice.
    let device = backend.device()?;
    let mut report = bench::throughput(&dataset, &config, device.clone())?;
    report.device = backend.name().to_string();
    if phases {
        report.phases = Some(bench::phases(&dataset, &config, device.clone())?);
    }
    if inference {
        report.inference = Some(bench::inference(&dataset, &config, device)?);
    }
    eprint!("{}", bench::table(&report));
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Bench {
            arch,
            engine,
            batch_size,
            steps,
            warmup,
            data,
            loss,
            phases,
            inference,
            seed,
        } => {
            let config = BenchConfig {
                arch: model_files::arch_from_arg(&arch)?,
                batch_size,
                steps,
                warmup,
                loss,
                seed,
                backward: engine.backward,
                dropout_masks: engine.dropout_masks,
            };
            bench(config, data.as_deref(), engine.device, phases, inference)?
        }
        Command::Train(args) => train_command(args)?,
        Command::CvReport {
            oof,
            data,
            pairs_dir,
            compare,
            name,
            json,
            procedure,
        } => cv_report(
            &oof,
            &data,
            pairs_dir.as_deref(),
            compare.as_deref(),
            name,
            json.as_deref().map(|path| (path, procedure)),
        )?,
        Command::Cv {
            train,
            folds,
            fold,
            fold_seed,
        } => cv_command(train, folds, &fold, fold_seed)?,
        Command::Evaluate {
            model,
            data,
            public_leaderboard,
            public_only,
            unseen_groups,
            compare,
            device,
        } => {
            let predictor = model_files::load(&model, None, device.device()?)?;
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
            let scorer = if unseen_groups {
                let (training, _) = Dataset::load(&data, false)?;
                let seen: HashSet<u64> = training.groups.iter().flatten().copied().collect();
                anyhow::ensure!(
                    set.groups.iter().all(Option::is_some),
                    "--unseen-groups needs a group column in {}",
                    data.display()
                );
                let keep: Vec<usize> = (0..set.len())
                    .filter(|&i| set.groups[i].is_some_and(|g| !seen.contains(&g)))
                    .collect();
                set = set.subset(&keep);
                None
            } else {
                scorer
            };
            let pred = predict::predict_dataset(&predictor, &set)?;
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
                "rows": match (public_only, unseen_groups) {
                    (_, true) => "rows whose group has no non-public row",
                    (true, false) => "public leaderboard",
                    (false, false) => "all",
                },
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
        Command::Export(args) => export(args)?,
    }
    Ok(())
}
