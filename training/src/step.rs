//! One optimisation step with Burn autodiff, and what it needs: the loss, the optimiser, and a
//! model initialised from a seed or from trained weights.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::loss::{HuberLossConfig, Reduction};
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use camformer::model::manifest::Manifest;
use camformer::model::weights::{BatchNormMode, StateDict};
use camformer::{ArchConfig, Camformer};
use serde::{Deserialize, Serialize};

/// Training loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Loss {
    /// Mean squared error.
    Mse,
    /// Mean absolute error.
    L1,
    /// Huber loss with delta 0.9 (as in the paper's experiments).
    Huber,
}

pub(crate) fn loss_fn(loss: Loss, pred: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
    match loss {
        Loss::Mse => (pred - target).powi_scalar(2).mean(),
        Loss::L1 => (pred - target).abs().mean(),
        Loss::Huber => HuberLossConfig::new(0.9)
            .init()
            .forward(pred, target, Reduction::Mean),
    }
}

/// One optimisation step: forward (dropout on), loss, backward, AdamW update at rate `lr`.
///
/// Returns the updated model and the batch loss as a device tensor. The loss is deliberately
/// not read back here: a read waits for the device to finish, and on a GPU a read every step
/// keeps the queue empty between steps.
pub fn step(
    model: Camformer,
    optim: &mut ModuleOptimizer,
    loss: Loss,
    lr: f64,
    x: Tensor<3>,
    y: Tensor<2>,
) -> (Camformer, Tensor<1>) {
    let loss = loss_fn(loss, model.forward(x), y);
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let model = optim.step(lr, model, grads);
    (model, loss.detach())
}

/// A fresh model of `cfg` on `device`, initialised from `seed`, every parameter initialised
/// now.
///
/// Burn initialises parameters lazily, on first use: in a training step that is during the
/// forward pass, interleaved with the dropout masks drawn from the same generator, and after
/// the epoch's reseeding. Initialising everything here, right after seeding, makes the initial
/// weights independent of the gradient engine (the CPU network reads every parameter before its
/// forward), so that both engines start from the same model and draw the same masks.
pub fn new_model(cfg: &ArchConfig, device: &Device, seed: u64) -> Result<Camformer> {
    struct Init;
    impl ModuleVisitor for Init {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let _ = param.val();
        }
    }
    // Burn's generator is one per process: without the lock, another thread seeding or drawing
    // (tests run in parallel; a library user may train two models at once) would interleave
    // with this initialisation and change the weights a seed gives.
    static GENERATOR: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _held = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    device.seed(seed);
    let model = Camformer::new(cfg, device)?;
    model.visit(&mut Init);
    Ok(model)
}

/// A trainable model (batch norm kept) with the weights of the trained model in `dir`, which
/// must be of architecture `cfg`.
pub fn init_model(cfg: &ArchConfig, dir: &Path, device: &Device) -> Result<Camformer> {
    let manifest_path = dir.join("manifest.json");
    let manifest = Manifest::from_json(
        &fs::read(&manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?,
    )?;
    if manifest.architecture != *cfg {
        bail!(
            "--init {}: the model is of another architecture than --arch",
            dir.display()
        );
    }
    let weights = fs::read(dir.join(&manifest.weights.file))?;
    manifest.verify(&weights)?;
    let state = StateDict::from_safetensors(&weights)?;
    Ok(Camformer::from_state_dict(
        cfg,
        &state,
        BatchNormMode::Keep,
        device,
    )?)
}

/// The optimiser the trainer uses (AdamW, as the authors).
pub fn optimizer(weight_decay: f64) -> ModuleOptimizer {
    AdamWConfig::new()
        .with_weight_decay(weight_decay as f32)
        .init()
}
