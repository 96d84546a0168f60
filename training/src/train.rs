//! The training loop: AdamW, a choice of loss, ReduceLROnPlateau or OneCycle, early stopping on
//! validation Pearson r + Spearman ρ, best-model export and resumable checkpoints.

use std::borrow::Cow;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use camformer::model::manifest::{FORMAT_VERSION, Manifest, OutputInfo, WeightsInfo, sha256_hex};
use camformer::model::weights::StorageDtype;
use camformer::score::metrics::{pearson, spearman};
use camformer::{ArchConfig, Camformer, Predictor};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::augment::{Augment, Augmentation};
use crate::backward::{Backward, DropoutMasks, Stepper};
use crate::batch::Prefetch;
use crate::data::{Dataset, Rng};
use crate::distill::{self, Distill, Teachers};
use crate::extra::{self, ExtraRows, ExtraSummary};
use crate::predict::predict_strands;
use crate::step::{Loss, init_model, new_model, optimizer};

/// Learning-rate schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Schedule {
    /// Multiply the rate by `plateau_factor` when validation loss has not improved for
    /// `plateau_patience` epochs.
    Plateau,
    /// One cycle: linear warm-up to `lr` over the first 30% of steps, cosine decay to lr/1e4.
    OneCycle,
}

/// Hyperparameters (defaults as the paper: AdamW lr 1e-3, weight decay 1e-3, batch 256).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Architecture to train.
    pub arch: ArchConfig,
    /// Maximum epochs.
    pub epochs: usize,
    /// Sequences per step.
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Loss function.
    pub loss: Loss,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Plateau: factor applied to the rate.
    pub plateau_factor: f64,
    /// Plateau: epochs without improvement of the validation loss before reducing.
    pub plateau_patience: usize,
    /// Stop when validation r + ρ has not improved for this many epochs.
    pub early_stop: usize,
    /// Seed of shuffling, dropout and initialisation.
    pub seed: u64,
    /// Stop after this many training sequences in all (for learning curves); `None` = no cap.
    pub max_train: Option<usize>,
    /// Plateau schedule: raise the rate linearly from 0 over this many first steps.
    ///
    /// Without it Adam's first full-size steps kill the ReLU units of Mini's 14,592 -> 32 dense
    /// layer on MAUDE-scale targets (the same happens in PyTorch) and the model predicts a
    /// constant. One-cycle has its own warm-up.
    #[serde(default)]
    pub warmup_steps: usize,
    /// Start no epoch that would end after this many seconds of the run (the previous epoch's
    /// duration, validation included, is the estimate), and end an epoch early (after at least
    /// one step) once they have passed; the first epoch always starts. `None` = no limit. For
    /// runs that must fit a fixed window, such as a borrowed GPU; the manifest records it.
    #[serde(default)]
    pub time_limit_s: Option<f64>,
    /// Which engine computes the gradients (`auto`: the CPU network's backward on the CPU,
    /// Burn autodiff elsewhere). Checkpoints do not depend on it.
    #[serde(default)]
    pub backward: Backward,
    /// The CPU network's dropout masks: its own generator (fast) or Burn's (the very masks an
    /// autodiff run draws).
    #[serde(default)]
    pub dropout_masks: DropoutMasks,
    /// Evolution-inspired augmentation of the training sequences ([`Augment`]); `None` = off.
    #[serde(default)]
    pub augment: Option<Augment>,
    /// Train on both strands (each training sequence reverse-complemented with probability
    /// 1/2) and predict with the mean over both strands (validation, held-out folds).
    #[serde(default)]
    pub reverse_complement: bool,
    /// Start from the weights of this trained model (a directory with `model.safetensors` and
    /// `manifest.json`, e.g. for fine-tuning after augmented training) instead of a seeded
    /// initialisation; the optimiser starts fresh. `None` = seeded initialisation.
    #[serde(default)]
    pub init: Option<PathBuf>,
    /// Distil from trained teacher models ([`Distill`]): their predictions become the
    /// training targets, and each epoch adds synthetic neighbours they label. `None` = train
    /// on the measured values.
    #[serde(default)]
    pub distill: Option<Distill>,
    /// Extra training rows from another experiment, their values mapped onto the training
    /// rows' scale ([`ExtraRows`]); added to the training rows only. `None` = none.
    #[serde(default)]
    pub extra: Option<ExtraRows>,
}

/// What one epoch achieved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochLog {
    /// 1-based epoch.
    pub epoch: usize,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
    /// Mean training loss.
    pub train_loss: f64,
    /// Validation loss (same function).
    pub val_loss: f64,
    /// Validation Pearson r.
    pub val_pearson: f64,
    /// Validation Spearman ρ.
    pub val_spearman: f64,
    /// Training throughput, sequences per second.
    pub seq_per_s: f64,
    /// Seconds the epoch took.
    pub seconds: f64,
}

/// Steps between reads of the running training loss (each read waits for the device).
const LOSS_READ_EVERY: usize = 50;

/// Resumable state, saved after every epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    config: TrainConfig,
    epoch: usize,
    lr: f64,
    best_score: f64,
    best_epoch: usize,
    bad_epochs: usize,
    best_val_loss: f64,
    plateau_bad: usize,
    history: Vec<EpochLog>,
}

/// Where a run keeps its files.
struct RunDir(PathBuf);

impl RunDir {
    fn checkpoint(&self) -> PathBuf {
        self.0.join("checkpoint")
    }
    fn state(&self) -> PathBuf {
        self.checkpoint().join("state.json")
    }
}

/// Pearson r and Spearman ρ of predictions against a dataset's targets.
pub fn correlations(pred: &[f32], data: &Dataset) -> (f64, f64) {
    let p: Vec<f64> = pred.iter().map(|&v| v as f64).collect();
    let t: Vec<f64> = data.targets.iter().map(|&v| v as f64).collect();
    (
        pearson(&p, &t).unwrap_or(0.0),
        spearman(&p, &t).unwrap_or(0.0),
    )
}

fn val_loss(loss: Loss, pred: &[f32], data: &Dataset) -> f64 {
    let n = pred.len() as f64;
    pred.iter()
        .zip(&data.targets)
        .map(|(&p, &t)| {
            let d = (p - t).abs() as f64;
            match loss {
                Loss::Mse => d * d,
                Loss::L1 => d,
                Loss::Huber if d <= 0.9 => 0.5 * d * d,
                Loss::Huber => 0.9 * (d - 0.45),
            }
        })
        .sum::<f64>()
        / n
}

/// Multiplier of the learning rate during a linear warm-up over `warmup` steps.
fn warmup_factor(step: usize, warmup: usize) -> f64 {
    if warmup == 0 {
        1.0
    } else {
        ((step + 1) as f64 / warmup as f64).min(1.0)
    }
}

/// Learning rate for a step of a one-cycle schedule.
fn one_cycle(lr: f64, step: usize, total: usize) -> f64 {
    let warm = (total as f64 * 0.3).max(1.0);
    let s = step as f64;
    if s < warm {
        lr * (0.04 + 0.96 * s / warm)
    } else {
        let t = ((s - warm) / (total as f64 - warm).max(1.0)).min(1.0);
        lr * 1e-4 + (lr - lr * 1e-4) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
    }
}

/// Model metadata written into the manifest of the exported model.
#[derive(Debug, Clone)]
pub struct ExportInfo {
    /// Model name.
    pub name: String,
    /// One paragraph.
    pub description: String,
    /// Output units.
    pub output: OutputInfo,
    /// Free-form description of the training data.
    pub training_data: serde_json::Value,
}

impl ExportInfo {
    /// This metadata with `extra_rows` added to the training data's description.
    fn with_extra_rows(&self, summary: &ExtraSummary) -> Result<Self> {
        let mut info = self.clone();
        let extra = serde_json::to_value(summary)?;
        info.training_data = match std::mem::take(&mut info.training_data) {
            serde_json::Value::Object(mut data) => {
                data.insert("extra_rows".into(), extra);
                serde_json::Value::Object(data)
            }
            serde_json::Value::Null => serde_json::json!({ "extra_rows": extra }),
            other => serde_json::json!({ "description": other, "extra_rows": extra }),
        };
        Ok(info)
    }
}

/// Writes `model.safetensors` + `manifest.json` into `dir`.
pub fn export(
    dir: &Path,
    net: &Camformer,
    cfg: &ArchConfig,
    info: &ExportInfo,
    training: serde_json::Value,
    metrics: serde_json::Value,
) -> Result<()> {
    fs::create_dir_all(dir)?;
    let state = net.valid().to_state_dict(cfg, cfg.name == "original")?;
    let bytes = state.to_safetensors(StorageDtype::F32)?;
    fs::write(dir.join("model.safetensors"), &bytes)?;
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        name: info.name.clone(),
        description: info.description.clone(),
        architecture: cfg.clone(),
        weights: WeightsInfo {
            file: "model.safetensors".into(),
            sha256: sha256_hex(&bytes),
            dtype: StorageDtype::F32,
            parameters: cfg.parameter_count()?,
        },
        output: info.output.clone(),
        training: serde_json::json!({ "data": info.training_data, "procedure": training }),
        metrics,
    };
    fs::write(dir.join("manifest.json"), manifest.to_json() + "\n")?;
    Ok(())
}

/// Trains on `train`, validating on `val`, writing the best model and checkpoints into `out`.
/// With `resume`, continues from `out/checkpoint` if it exists.
pub fn train(
    config: TrainConfig,
    train: &Dataset,
    val: &Dataset,
    out: &Path,
    resume: bool,
    base: Device,
    info: &ExportInfo,
) -> Result<Vec<EpochLog>> {
    if train.is_empty() || val.len() < 2 {
        bail!(
            "need training data and at least 2 validation sequences (got {} and {})",
            train.len(),
            val.len()
        );
    }
    // Extra rows join the training rows before anything else sees them (a distillation's
    // teachers relabel them too); the map onto this scale is fitted on `train` alone.
    // The manifest then records how many extra rows were joined and what the map was fitted on.
    let (with_extra, info_with_extra);
    let (train, info) = match &config.extra {
        Some(e) => {
            let summary;
            (with_extra, summary) = extra::with_extra(train, e)?;
            info_with_extra = info.with_extra_rows(&summary)?;
            (&with_extra, &info_with_extra)
        }
        None => (train, info),
    };
    let run = RunDir(out.to_path_buf());
    fs::create_dir_all(run.checkpoint())?;
    let device = base.clone().autodiff();
    let cfg = config.arch.clone();
    // Distillation: the teachers relabel the training rows once (the same every epoch and on
    // resume); each epoch then adds its own neighbours.
    let distillation = match &config.distill {
        Some(d) => {
            d.validate()?;
            let teachers = Teachers::load(&d.teachers, &base)?;
            let count = d.neighbours_per_epoch(train.len());
            eprintln!(
                "distilling from {} teacher model(s); {count} neighbours per epoch",
                teachers.len()
            );
            let relabelled = distill::relabel(train, &teachers, d.teacher_weight)?;
            Some((d, teachers, relabelled, count))
        }
        None => None,
    };
    let epoch_len = train.len() + distillation.as_ref().map_or(0, |(.., count)| *count);
    let steps_per_epoch = epoch_len.div_ceil(config.batch_size);
    let total_steps = steps_per_epoch * config.epochs;

    let stepper = Stepper::new(
        config.backward,
        &cfg,
        &base,
        config.dropout_masks,
        config.seed,
    )?;
    eprintln!("gradients: {}", stepper.name());
    let mut model = match &config.init {
        Some(dir) => {
            let model = init_model(&cfg, dir, &device)?;
            eprintln!("starting from the weights of {}", dir.display());
            model
        }
        None => new_model(&cfg, &device, config.seed)?,
    };
    let mut optim = optimizer(config.weight_decay);
    let mut state = State {
        config: config.clone(),
        epoch: 0,
        lr: config.lr,
        best_score: f64::NEG_INFINITY,
        best_epoch: 0,
        bad_epochs: 0,
        best_val_loss: f64::INFINITY,
        plateau_bad: 0,
        history: Vec::new(),
    };
    if resume && run.state().exists() {
        let saved: State =
            serde_json::from_slice(&fs::read(run.state())?).context("reading checkpoint state")?;
        if serde_json::to_value(&saved.config.arch)? != serde_json::to_value(&config.arch)? {
            bail!(
                "the checkpoint in {} is for another architecture",
                run.checkpoint().display()
            );
        }
        model = model
            .try_load_file(run.checkpoint().join("model.bpk"))
            .map_err(|e| anyhow::anyhow!("loading checkpoint model: {e:?}"))?;
        optim = optim
            .load(run.checkpoint().join("optim.bpk"))
            .map_err(|e| anyhow::anyhow!("loading optimizer state: {e:?}"))?;
        eprintln!(
            "resuming after epoch {} (best r+rho {:.4} at epoch {})",
            saved.epoch, saved.best_score, saved.best_epoch
        );
        state = saved;
        state.config = config.clone();
    }
    let mut log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(out.join("metrics.jsonl"))?;

    let mut seen = state.history.len() * epoch_len;
    let run_start = Instant::now();
    let mut last_epoch_s = 0.0;
    while state.epoch < config.epochs {
        let epoch = state.epoch + 1;
        // The first epoch of a run always starts (there is no estimate yet, and a run must
        // leave a model behind).
        if let Some(limit) = config.time_limit_s
            && last_epoch_s > 0.0
            && run_start.elapsed().as_secs_f64() + last_epoch_s > limit
        {
            eprintln!(
                "time limit: {limit} s would be passed during epoch {epoch}; stopping after epoch {}",
                state.epoch
            );
            break;
        }
        let epoch_start = Instant::now();
        // Seed per epoch so a resumed run draws the same shuffles and dropout masks.
        let mut rng = Rng(config.seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9));
        device.seed(config.seed.wrapping_add(epoch as u64));
        // A distilled epoch: the relabelled rows and this epoch's neighbours (drawn from a
        // generator seeded by the epoch, so a resumed run draws them again).
        let epoch_data: Cow<Dataset> = match &distillation {
            Some((d, teachers, relabelled, count)) => {
                let mut draw = Rng(config.seed ^ 0xD157_u64.wrapping_mul(epoch as u64 + 1));
                let neighbours =
                    distill::neighbours(train, teachers, *count, d.max_mutations, &mut draw)?;
                Cow::Owned(distill::epoch_set(relabelled, neighbours))
            }
            None => Cow::Borrowed(train),
        };
        let mut order: Vec<usize> = (0..epoch_data.len()).collect();
        rng.shuffle(&mut order);
        if let Some(cap) = config.max_train {
            order.truncate(cap.saturating_sub(seen).min(order.len()));
            if order.is_empty() {
                break;
            }
        }
        let bar = ProgressBar::new(order.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "epoch {epoch}/{} [{{bar:30}}] {{pos}}/{{len}} {{per_sec}} ETA {{eta}} loss {{msg}}",
                config.epochs
            ))
            .expect("template"),
        );
        let start = Instant::now();
        // The losses of the epoch stay on the device and are read once every LOSS_READ_EVERY
        // steps (for the progress bar) and at the end: see `step`.
        let mut loss_sum: Option<Tensor<1>> = None;
        let mut batches = 0usize;
        // The rate of the epoch's last step (one-cycle and warm-up change it every step).
        let mut last_lr = state.lr;
        let augmentation = Augmentation {
            evo: config.augment,
            reverse_complement: config.reverse_complement,
        };
        let augment = augmentation.is_active().then(|| {
            (
                augmentation,
                config.seed ^ 0xA06_u64.wrapping_mul(epoch as u64 + 1),
            )
        });
        let prefetch =
            Prefetch::augmented(&cfg, &epoch_data, order.clone(), config.batch_size, augment);
        for (b, batch) in prefetch.enumerate() {
            if let Some(limit) = config.time_limit_s
                && b > 0
                && run_start.elapsed().as_secs_f64() > limit
            {
                // Only when one epoch is longer than the whole window: end it here, so that
                // the run still validates and exports what it has.
                eprintln!("time limit: {limit} s reached after {b} steps of epoch {epoch}");
                break;
            }
            let step_no = (epoch - 1) * steps_per_epoch + b;
            let lr = match config.schedule {
                Schedule::Plateau => state.lr * warmup_factor(step_no, config.warmup_steps),
                Schedule::OneCycle => one_cycle(config.lr, step_no, total_steps),
            };
            last_lr = lr;
            let n = batch.len();
            let (next, loss) =
                stepper.step(model, &mut optim, config.loss, lr, batch, &device, step_no)?;
            model = next;
            loss_sum = Some(match loss_sum {
                Some(sum) => sum + loss,
                None => loss,
            });
            batches += 1;
            bar.inc(n as u64);
            if b % LOSS_READ_EVERY == 0
                && let Some(sum) = &loss_sum
            {
                let mean = sum.clone().into_scalar::<f32>() as f64 / batches as f64;
                bar.set_message(format!("{mean:.4}"));
            }
        }
        let loss_sum = loss_sum.map_or(0.0, |sum| sum.into_scalar::<f32>() as f64);
        bar.finish_and_clear();
        let seconds = start.elapsed().as_secs_f64();
        seen += order.len();

        let predictor =
            Predictor::from_model(cfg.clone(), model.valid(), base.clone()).with_batch_size(512);
        let pred = predict_strands(&predictor, val, config.reverse_complement)?;
        let (r, rho) = correlations(&pred, val);
        let vloss = val_loss(config.loss, &pred, val);
        let entry = EpochLog {
            epoch,
            lr: last_lr,
            train_loss: loss_sum / batches.max(1) as f64,
            val_loss: vloss,
            val_pearson: r,
            val_spearman: rho,
            seq_per_s: order.len() as f64 / seconds,
            seconds,
        };
        eprintln!(
            "epoch {epoch}: train loss {:.4}, val loss {vloss:.4}, val r {r:.4} (r2 {:.4}), rho {rho:.4}, {:.0} seq/s",
            entry.train_loss,
            r * r,
            entry.seq_per_s
        );
        writeln!(log, "{}", serde_json::to_string(&entry)?)?;
        state.history.push(entry);
        state.epoch = epoch;

        if r + rho > state.best_score {
            state.best_score = r + rho;
            state.best_epoch = epoch;
            state.bad_epochs = 0;
            let metrics = serde_json::json!({
                "validation": { "n": val.len(), "pearson_r": r, "r2": r * r, "spearman": rho, "epoch": epoch }
            });
            export(
                out,
                &model,
                &cfg,
                info,
                serde_json::to_value(&config)?,
                metrics,
            )?;
        } else {
            state.bad_epochs += 1;
        }
        if vloss < state.best_val_loss {
            state.best_val_loss = vloss;
            state.plateau_bad = 0;
        } else {
            state.plateau_bad += 1;
            if config.schedule == Schedule::Plateau && state.plateau_bad >= config.plateau_patience
            {
                state.lr *= config.plateau_factor;
                state.plateau_bad = 0;
                eprintln!("learning rate reduced to {:.2e}", state.lr);
            }
        }
        model
            .clone()
            .save_file(run.checkpoint().join("model.bpk"))
            .context("saving checkpoint")?;
        optim
            .save(run.checkpoint().join("optim.bpk"))
            .map_err(|e| anyhow::anyhow!("saving optimizer state: {e:?}"))?;
        fs::write(run.state(), serde_json::to_vec_pretty(&state)?)?;
        last_epoch_s = epoch_start.elapsed().as_secs_f64();
        if state.bad_epochs >= config.early_stop {
            eprintln!(
                "early stop: no improvement of val r+rho for {} epochs",
                config.early_stop
            );
            break;
        }
    }
    eprintln!(
        "done: best val r+rho {:.4} at epoch {}; model in {}",
        state.best_score,
        state.best_epoch,
        out.display()
    );
    Ok(state.history)
}
