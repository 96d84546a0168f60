//! Training Camformer models with Burn.
//!
//! The architecture comes from the root `camformer` crate, so what is trained here is exactly
//! what the CLI and the browser load: `model.safetensors` (PyTorch `state_dict` layout) and
//! `manifest.json`.
//!
//! - [`data`]: streaming TSV parsing with Camformer's filters, 2-bit packed storage, seeded
//!   group-wise or decile-stratified splits.
//! - [`augment`]: evolution-inspired augmentation of the random region (EvoAug).
//! - [`batch`]: host-side batch assembly (decode, augment, encode) on a prefetch thread.
//! - [`step`]: one optimiser step with Burn autodiff; the loss, the optimiser, initialisation.
//! - [`train`]: the training loop, checkpoints and export.
//! - [`backward`]: which engine computes gradients (Burn autodiff, or on the CPU the CPU
//!   network's own backward pass), and the training step on the CPU network.
//! - [`distill`]: distillation from trained teacher models (an ensemble) into one student,
//!   with synthetic neighbours of the training rows labelled by the teachers.
//! - [`extra`]: extra training rows from another experiment, quantile-mapped onto the
//!   training rows' scale.
//! - [`predict`]: a model's predictions for whole datasets, on one strand or both.
//! - [`cv`]: cross-validation by DREAM `group`, out-of-fold predictions.
//! - [`bench`](mod@bench): training-step throughput and a per-phase profile of a step.

pub mod augment;
pub mod backward;
pub mod batch;
pub mod bench;
pub mod cv;
pub mod data;
pub mod distill;
pub mod extra;
pub mod predict;
pub mod step;
pub mod train;
