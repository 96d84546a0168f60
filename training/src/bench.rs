//! Training-step throughput and where a step's time goes.
//!
//! `camformer-training bench` runs the trainer's own step ([`Stepper::step`], what `train`
//! calls, AdamW and all, with the gradient engine `--backward` picks) on batches of real or
//! random sequences and reports sequences per second. Two modes:
//!
//! - **throughput** (the number to compare with other trainers): steps run back to back as in
//!   training, with the batches assembled on a background thread, and the device is
//!   synchronised only at the end of the timed steps;
//! - **phases** (the profile): the step is cut into batch assembly, upload, forward + loss,
//!   backward, optimiser update and loss read, with a device synchronisation after each phase so
//!   that each phase's time is its own. The synchronisations serialise work a GPU would
//!   overlap, so the phase sum is larger than a throughput step there; on the CPU (flex
//!   computes eagerly) the two agree. With the CPU network's backward, "upload" is the copy of
//!   the parameters to host memory and "optimizer" includes registering the gradients.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::Device;
use camformer::engine::mutations::{Method, Mutation, Positions};
use camformer::model::weights::StorageDtype;
use camformer::{ArchConfig, Camformer, Construct, Predictor};
use serde::Serialize;

use crate::backward::{Backward, DropoutMasks, Stepper};
use crate::batch::{HostBatch, Prefetch};
use crate::data::{Dataset, Packed, Rng};
use crate::step::{Loss, loss_fn, new_model, optimizer};
use camformer::engine::cpu_net::train::TrainParams;

/// What to benchmark.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Architecture.
    pub arch: ArchConfig,
    /// Sequences per step.
    pub batch_size: usize,
    /// Timed steps.
    pub steps: usize,
    /// Untimed steps first (allocation, kernel compilation and autotuning on the GPU).
    pub warmup: usize,
    /// Loss function.
    pub loss: Loss,
    /// Seed of the random model, data order and dropout.
    pub seed: u64,
    /// Gradient engine.
    pub backward: Backward,
    /// The CPU network's dropout masks.
    pub dropout_masks: DropoutMasks,
}

/// Time spent in each phase of a step, summed over the timed steps.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Phases {
    /// Decoding packed rows and one-hot encoding them on the host.
    pub assemble_s: f64,
    /// Copying the batch to the device (autodiff), or the parameters to host memory (the CPU
    /// network).
    pub upload_s: f64,
    /// Forward pass and loss.
    pub forward_s: f64,
    /// Backward pass (all gradients).
    pub backward_s: f64,
    /// Gradient collection and the AdamW update (with the CPU network: also the gradients'
    /// and running statistics' trip back into Burn tensors).
    pub optimizer_s: f64,
    /// Reading the loss back to the host.
    pub loss_read_s: f64,
}

impl Phases {
    /// Sum of all phases.
    pub fn total_s(&self) -> f64 {
        self.assemble_s
            + self.upload_s
            + self.forward_s
            + self.backward_s
            + self.optimizer_s
            + self.loss_read_s
    }
}

/// The result of one benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Architecture name.
    pub arch: String,
    /// `cpu` or `wgpu`.
    pub device: String,
    /// Gradient engine: `autodiff` or `cpu-net`.
    pub backward: String,
    /// Sequences per step.
    pub batch_size: usize,
    /// Timed steps.
    pub steps: usize,
    /// Throughput mode: training sequences per second.
    pub seq_per_s: f64,
    /// Throughput mode: seconds for the timed steps.
    pub seconds: f64,
    /// Mean loss of the timed steps (a sanity check that the model trains, not a metric).
    pub mean_loss: f64,
    /// Phases mode, when run: seconds per phase, summed over the timed steps.
    pub phases: Option<Phases>,
    /// Inference on the same device, when asked for.
    pub inference: Option<InferenceReport>,
}

/// `n` random constructs (uniform A/C/G/T in the random region, the fixed flanks around it)
/// with random targets: timing does not depend on the data, and this needs no file.
pub fn random_dataset(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng(seed);
    let mut data = Dataset::default();
    for _ in 0..n {
        let region: String = (0..camformer::input::sequence::RANDOM_LEN)
            .map(|_| b"ACGT"[rng.below(4)] as char)
            .collect();
        let construct = camformer::input::sequence::prepare(&region)
            .expect("an 80-bp ACGT region is valid")
            .0;
        data.seqs.push(Packed::pack(&construct));
        data.targets.push(rng.below(1000) as f32 / 500.0 - 1.0);
        data.groups.push(None);
        data.idx.push(None);
        data.random.push(false);
    }
    data
}

/// The batches of a benchmark: `warmup + steps` batches drawn in a seeded shuffled order
/// (wrapping around when the data has fewer rows).
fn order(data: &Dataset, config: &BenchConfig) -> Vec<usize> {
    let mut rng = Rng(config.seed);
    let need = (config.warmup + config.steps) * config.batch_size;
    let mut order = Vec::with_capacity(need);
    while order.len() < need {
        let mut round: Vec<usize> = (0..data.len()).collect();
        rng.shuffle(&mut round);
        order.extend(round);
    }
    order.truncate(need);
    order
}

fn sync(device: &Device) -> Result<()> {
    device
        .sync()
        .map_err(|e| anyhow::anyhow!("device synchronisation failed: {e:?}"))
}

/// Throughput mode: the training loop's own steps, synchronised only at the end.
pub fn throughput(data: &Dataset, config: &BenchConfig, base: Device) -> Result<BenchReport> {
    anyhow::ensure!(!data.is_empty(), "no sequences to benchmark on");
    anyhow::ensure!(config.steps > 0, "--steps must be at least 1");
    let device = base.clone().autodiff();
    let stepper = Stepper::new(
        config.backward,
        &config.arch,
        &base,
        config.dropout_masks,
        config.seed,
    )?;
    let mut model = new_model(&config.arch, &device, config.seed)?;
    let mut optim = optimizer(1e-3);
    let mut batches = Prefetch::new(&config.arch, data, order(data, config), config.batch_size);
    let mut step_no = 0;
    let mut run = |model: Camformer, optim: &mut _, batch| {
        step_no += 1;
        stepper.step(model, optim, config.loss, 1e-4, batch, &device, step_no)
    };
    for batch in batches.by_ref().take(config.warmup) {
        model = run(model, &mut optim, batch)?.0;
    }
    sync(&device)?;
    let start = Instant::now();
    let mut loss_sum = None;
    for batch in batches {
        let (next, loss) = run(model, &mut optim, batch)?;
        model = next;
        loss_sum = Some(match loss_sum {
            Some(sum) => sum + loss,
            None => loss,
        });
    }
    let loss_sum = loss_sum.context("no timed step ran")?;
    // Reading the summed loss waits for every queued step: the end of the timed work.
    let mean_loss = loss_sum.into_scalar::<f32>() as f64 / config.steps as f64;
    let seconds = start.elapsed().as_secs_f64();
    Ok(BenchReport {
        arch: config.arch.name.clone(),
        device: String::new(),
        backward: stepper.name().into(),
        batch_size: config.batch_size,
        steps: config.steps,
        seq_per_s: (config.steps * config.batch_size) as f64 / seconds,
        seconds,
        mean_loss,
        phases: None,
        inference: None,
    })
}

/// Phases mode: the same step cut into phases, with a synchronisation after each.
pub fn phases(data: &Dataset, config: &BenchConfig, base: Device) -> Result<Phases> {
    anyhow::ensure!(!data.is_empty(), "no sequences to benchmark on");
    let device = base.clone().autodiff();
    let stepper = Stepper::new(
        config.backward,
        &config.arch,
        &base,
        config.dropout_masks,
        config.seed,
    )?;
    let mut model = new_model(&config.arch, &device, config.seed)?;
    let mut optim = optimizer(1e-3);
    let order = order(data, config);
    let mut phases = Phases::default();
    for (i, idx) in order.chunks(config.batch_size).enumerate() {
        let timed = i >= config.warmup;
        let mut lap = Lap::new(timed);

        let batch = HostBatch::new(&config.arch, data, idx);
        lap.record(&mut phases.assemble_s);
        if let Stepper::CpuNet { .. } = stepper {
            // Host computation throughout: no synchronisation needed.
            let params = TrainParams::from_module(&model)?;
            lap.record(&mut phases.upload_s);
            let tape = stepper.forward(&params, &batch, config.loss, Some(i))?;
            lap.record(&mut phases.forward_s);
            let grads = stepper.backward(&model, &params, tape)?;
            lap.record(&mut phases.backward_s);
            model = optim.step(1e-4, model, grads);
            sync(&device)?;
            lap.record(&mut phases.optimizer_s);
            continue;
        }
        let (x, y) = batch.upload(&device);
        sync(&device)?;
        lap.record(&mut phases.upload_s);
        let loss = loss_fn(config.loss, model.forward(x), y);
        sync(&device)?;
        lap.record(&mut phases.forward_s);
        let grads = loss.backward();
        sync(&device)?;
        lap.record(&mut phases.backward_s);
        let grads = GradientsParams::from_grads(grads, &model);
        model = optim.step(1e-4, model, grads);
        sync(&device)?;
        lap.record(&mut phases.optimizer_s);
        let _ = loss.into_scalar::<f32>();
        lap.record(&mut phases.loss_read_s);
    }
    Ok(phases)
}

/// A stopwatch that adds each lap to a phase's total (only for timed steps).
struct Lap {
    last: Instant,
    timed: bool,
}

impl Lap {
    fn new(timed: bool) -> Self {
        Lap {
            last: Instant::now(),
            timed,
        }
    }

    fn record(&mut self, total: &mut f64) {
        let now = Instant::now();
        if self.timed {
            *total += now.duration_since(self.last).as_secs_f64();
        }
        self.last = now;
    }
}

/// Inference on the same device and architecture (random weights: speed does not depend on
/// them): batch prediction, and the ISM of one sequence at all 110 positions (330 mutants).
#[derive(Debug, Clone, Serialize)]
pub struct InferenceReport {
    /// Sequences per prediction call ([`Predictor`]'s batch size).
    pub batch_size: usize,
    /// Prediction throughput, sequences per second (read-back included).
    pub predict_seq_per_s: f64,
    /// Fast ISM of one sequence, seconds (median of 3 after a warm-up).
    pub ism_fast_s: f64,
    /// Naive ISM (every mutant through the network), seconds (median of 3).
    pub ism_naive_s: f64,
}

/// Measures [`InferenceReport`]: `steps` batches of `batch_size` predicted in one call.
pub fn inference(data: &Dataset, config: &BenchConfig, base: Device) -> Result<InferenceReport> {
    anyhow::ensure!(!data.is_empty(), "no sequences to benchmark on");
    base.seed(config.seed);
    // Through the weights file format, as users load models: batch norm is folded, and on the
    // CPU the predictor runs the CPU inference network.
    let net = Camformer::new(&config.arch, &base)?;
    let weights = net
        .valid()
        .to_state_dict(&config.arch, config.arch.name == "original")?
        .to_safetensors(StorageDtype::F32)?;
    let predictor = Predictor::from_weights(config.arch.clone(), &weights, base)?
        .with_batch_size(config.batch_size);
    let constructs: Vec<Construct> = order(data, config)
        .iter()
        .skip(config.warmup * config.batch_size)
        .map(|&i| data.seqs[i].unpack())
        .collect();
    predictor.predict(&constructs[..config.batch_size.min(constructs.len())])?;
    let start = Instant::now();
    predictor.predict(&constructs)?;
    let predict_seq_per_s = constructs.len() as f64 / start.elapsed().as_secs_f64();
    let ism = |method| -> Result<f64> {
        let reference = &constructs[0];
        let run = || predictor.ism(reference, Mutation::all(reference, Positions::All), method);
        run()?;
        let mut times = Vec::new();
        for _ in 0..3 {
            let start = Instant::now();
            run()?;
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        Ok(times[1])
    };
    Ok(InferenceReport {
        batch_size: config.batch_size,
        predict_seq_per_s,
        ism_fast_s: ism(Method::Fast)?,
        ism_naive_s: ism(Method::Naive)?,
    })
}

/// A human-readable table of a report.
pub fn table(report: &BenchReport) -> String {
    let mut out = format!(
        "{} on {} ({}), batch {}: {:.1} training sequences/s ({} steps in {:.2} s; mean loss {:.4})\n",
        report.arch,
        report.device,
        report.backward,
        report.batch_size,
        report.seq_per_s,
        report.steps,
        report.seconds,
        report.mean_loss
    );
    if let Some(p) = &report.phases {
        let total = p.total_s().max(f64::MIN_POSITIVE);
        let per_step = |s: f64| Duration::from_secs_f64(s / report.steps as f64);
        for (name, s) in [
            ("batch assembly", p.assemble_s),
            ("upload", p.upload_s),
            ("forward + loss", p.forward_s),
            ("backward", p.backward_s),
            ("optimizer", p.optimizer_s),
            ("loss read", p.loss_read_s),
        ] {
            out += &format!(
                "  {name:<15} {:>10.2?} per step  {:>5.1}%\n",
                per_step(s),
                100.0 * s / total
            );
        }
    }
    if let Some(i) = &report.inference {
        out += &format!(
            "  inference, batch {}: {:.1} sequences/s; ISM of 330 mutants: fast {:.3} s, naive {:.3} s\n",
            i.batch_size, i.predict_seq_per_s, i.ism_fast_s, i.ism_naive_s
        );
    }
    out
}
