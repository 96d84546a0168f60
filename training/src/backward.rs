//! Which engine computes a training step's gradients, and the step on the CPU training network.
//!
//! On the CPU, Burn's autodiff spends about two thirds of a step in its backward pass. The
//! [`cpu_net::train`](camformer::engine::cpu_net::train) network computes the same loss,
//! gradients and batch statistics on channels-last implicit GEMMs. A [`Stepper`] with that
//! engine reads the parameters out of the Burn model, runs the network's forward and backward,
//! hands the gradients to Burn's optimiser as [`GradientsParams`] keyed by the model's
//! parameter ids, and blends the batch statistics into the model's running statistics as
//! Burn's `BatchNorm` does. The model, the AdamW state, checkpoints, `--resume` and export
//! therefore stay Burn's, whichever engine ran.
//!
//! Dropout masks ([`DropoutMasks`]): by default the CPU network draws its own, from a fast
//! generator seeded by the run's seed and the step number (a resumed run draws the same ones);
//! the distribution is Burn's (keep with probability `1 - p`, scale by `1 / (1 - p)`), the masks
//! are not, so the two engines' loss curves agree within noise. With `burn`, the masks are
//! drawn from Burn's generator in the order and shapes in which Burn's `Dropout` layers draw
//! them, so both engines use the very same masks and their loss curves agree to float rounding;
//! that costs about 15% of a Mini step on two cores (Burn draws one ChaCha value per element).

use anyhow::{Context, Result, bail};
use burn::module::{Param, RunningState};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use camformer::engine::cpu_net::train::{Dropout, LossKind, Tape, TrainNet, TrainParams};
use camformer::{ArchConfig, Camformer};
use serde::{Deserialize, Serialize};

use crate::batch::HostBatch;
use crate::step::{Loss, step};

/// The engine that computes gradients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Backward {
    /// The CPU training network on the CPU device, Burn autodiff on any other.
    #[default]
    Auto,
    /// Burn autodiff (any device).
    Autodiff,
    /// The CPU training network (CPU device only).
    CpuNet,
}

/// Where the CPU network's dropout masks come from (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DropoutMasks {
    /// Its own fast generator, seeded by the run's seed and the step.
    #[default]
    Own,
    /// Burn's generator, exactly as Burn autodiff would draw them (slower).
    Burn,
}

/// Runs training steps with one engine.
pub enum Stepper {
    /// Burn autodiff on the model's device.
    Autodiff,
    /// The CPU training network; gradients are registered on `base`, the CPU device without
    /// autodiff (where Burn's own backward leaves them).
    CpuNet {
        /// The network's shapes.
        net: TrainNet,
        /// The plain CPU device.
        base: Device,
        /// Where dropout masks come from.
        masks: DropoutMasks,
        /// The run's seed (of the own masks).
        seed: u64,
    },
}

/// Whether `device` is the plain CPU (flex) device.
fn is_cpu(device: &Device) -> bool {
    !device.is_autodiff() && *device == Device::flex()
}

impl Stepper {
    /// The engine `choice` asks for on `base` (the device without autodiff); `masks` and
    /// `seed` are the CPU network's dropout masks' source and seed.
    pub fn new(
        choice: Backward,
        arch: &ArchConfig,
        base: &Device,
        masks: DropoutMasks,
        seed: u64,
    ) -> Result<Self> {
        let cpu = is_cpu(base);
        match choice {
            Backward::Autodiff => Ok(Stepper::Autodiff),
            Backward::Auto if !cpu => Ok(Stepper::Autodiff),
            Backward::CpuNet if !cpu => {
                bail!("--backward cpu-net runs on the CPU device only (use --device cpu)")
            }
            Backward::Auto | Backward::CpuNet => Ok(Stepper::CpuNet {
                net: TrainNet::new(arch)?,
                base: base.clone(),
                masks,
                seed,
            }),
        }
    }

    /// `autodiff` or `cpu-net`.
    pub fn name(&self) -> &'static str {
        match self {
            Stepper::Autodiff => "autodiff",
            Stepper::CpuNet { .. } => "cpu-net",
        }
    }

    /// One optimisation step on `batch` at rate `lr` ([`step`] with either engine); `device`
    /// is the model's (autodiff) device and `step_no` the step's number in the run (it seeds
    /// the CPU network's own dropout masks).
    #[allow(clippy::too_many_arguments)] // a training step's full context
    pub fn step(
        &self,
        model: Camformer,
        optim: &mut ModuleOptimizer,
        loss: Loss,
        lr: f64,
        batch: HostBatch,
        device: &Device,
        step_no: usize,
    ) -> Result<(Camformer, Tensor<1>)> {
        match self {
            Stepper::Autodiff => {
                let (x, y) = batch.upload(device);
                Ok(step(model, optim, loss, lr, x, y))
            }
            Stepper::CpuNet { .. } => {
                let params = TrainParams::from_module(&model)?;
                let tape = self.forward(&params, &batch, loss, Some(step_no))?;
                let value = tape.loss;
                let grads = self.backward(&model, &params, tape)?;
                let model = optim.step(lr, model, grads);
                let value = Tensor::from_data(TensorData::new(vec![value as f32], [1]), device);
                Ok((model, value))
            }
        }
    }

    /// The CPU network's forward pass and loss (CPU engine only), with the dropout of step
    /// `step_no` or (`None`) without dropout.
    pub fn forward(
        &self,
        params: &TrainParams,
        batch: &HostBatch,
        loss: Loss,
        step_no: Option<usize>,
    ) -> Result<Tape> {
        let Stepper::CpuNet {
            net,
            base,
            masks,
            seed,
        } = self
        else {
            bail!("not the CPU engine");
        };
        let (x, y) = batch.host();
        let mut draw = |shape: &[usize], keep: f64| burn_mask(shape, keep, base);
        let dropout = match (step_no, masks) {
            (None, _) => Dropout::Off,
            (Some(step), DropoutMasks::Own) => Dropout::Seeded(step_seed(*seed, step)),
            (Some(_), DropoutMasks::Burn) => Dropout::Drawn(&mut draw),
        };
        Ok(net.forward(params, x, y, loss_kind(loss), dropout)?)
    }

    /// The CPU network's backward pass on `tape`, recorded with `params` (read from `model`):
    /// the gradients for Burn's optimiser. Blends the tape's batch statistics into the model's
    /// running statistics (CPU engine only).
    pub fn backward(
        &self,
        model: &Camformer,
        params: &TrainParams,
        tape: Tape,
    ) -> Result<GradientsParams> {
        let Stepper::CpuNet { net, base, .. } = self else {
            bail!("not the CPU engine");
        };
        update_running_stats(model, &tape)?;
        gradients_params(model, net.backward(params, tape), base)
    }
}

/// The seed of a step's own dropout masks: the run's seed and the step number, mixed.
fn step_seed(seed: u64, step: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (step as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)
}

/// Keep flags for a dropout site of `shape`, drawn from Burn's generator exactly as
/// `burn::nn::Dropout` draws them (`random_like` with a Bernoulli of `keep`: one value per
/// element, in row-major order, from the backend's one global generator).
fn burn_mask(shape: &[usize], keep: f64, base: &Device) -> Vec<f32> {
    let len = shape.iter().product::<usize>();
    Tensor::<1>::random([len], Distribution::Bernoulli(keep), base)
        .into_data()
        .try_into_vec::<f32>()
        .expect("a float tensor")
}

fn loss_kind(loss: Loss) -> LossKind {
    match loss {
        Loss::Mse => LossKind::Mse,
        Loss::L1 => LossKind::L1,
        // As `step::loss_fn`.
        Loss::Huber => LossKind::Huber { delta: 0.9 },
    }
}

/// `running = running * (1 - momentum) + batch * momentum` for the mean and the (biased)
/// variance, with the same tensor operations as Burn's `BatchNorm::forward` in training.
fn update_running_stats(model: &Camformer, tape: &Tape) -> Result<()> {
    for (block, stats) in model.blocks.iter().zip(&tape.stats) {
        let norm = block
            .norm
            .as_ref()
            .context("a model in training has batch norm")?;
        let blend = |state: &RunningState<Tensor<1>>, batch: &[f32]| {
            let running = state.value_sync();
            let device = running.device();
            let batch =
                Tensor::<1>::from_data(TensorData::new(batch.to_vec(), [batch.len()]), &device);
            let next = running
                .mul_scalar(1.0 - norm.momentum)
                .add(batch.mul_scalar(norm.momentum));
            state.update(next.detach());
        };
        blend(&norm.running_mean, &stats.mean);
        blend(&norm.running_var, &stats.variance);
    }
    Ok(())
}

/// The gradients as Burn's optimiser takes them: keyed by parameter id, on the plain CPU
/// device, shaped as the parameters.
fn gradients_params(
    model: &Camformer,
    grads: TrainParams,
    base: &Device,
) -> Result<GradientsParams> {
    fn put<const D: usize>(
        out: &mut GradientsParams,
        param: &Param<Tensor<D>>,
        grad: Vec<f32>,
        base: &Device,
    ) {
        let shape = param.dims();
        out.register(
            param.id,
            Tensor::<D>::from_data(TensorData::new(grad, shape), base),
        );
    }
    let mut out = GradientsParams::new();
    for (block, g) in model.blocks.iter().zip(grads.convs) {
        let norm = block
            .norm
            .as_ref()
            .context("a model in training has batch norm")?;
        put(&mut out, &block.conv.weight, g.weight, base);
        put(
            &mut out,
            block.conv.bias.as_ref().context("conv bias")?,
            g.bias,
            base,
        );
        put(&mut out, &norm.gamma, g.gamma, base);
        put(&mut out, &norm.beta, g.beta, base);
    }
    for (layer, g) in model.head.iter().zip(grads.head) {
        put(&mut out, &layer.weight, g.weight, base);
        put(
            &mut out,
            layer.bias.as_ref().context("dense bias")?,
            g.bias,
            base,
        );
    }
    Ok(out)
}
