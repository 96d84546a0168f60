//! The engine layer: running a model on a device, for predictions and in-silico mutagenesis.
//!
//! A model runs on one of two engines: on the plain CPU device, the [`cpu_net`] network (one
//! implicit GEMM per convolution on host buffers); elsewhere (WebGPU, autodiff, or on request),
//! the Burn module of [`crate::model::network`]. [`predictor::Predictor`] hides the choice:
//! it predicts, and runs in-silico mutagenesis (ISM) fast or naively, on whichever engine it
//! has. Both engines compute fast ISM with the same window arithmetic (a private module
//! here), each on its own data: [`cpu_net::ism`] on host buffers, [`burn_ism`] in Burn tensor
//! operations. [`mutations`] holds the ISM types both engines and the layers above share.
//!
//! This layer names only the layers below it (model, input, error); what predictions are used
//! for (analyses, scores) lives above it.

pub mod burn_ism;
pub mod cpu_net;
#[cfg(not(target_family = "wasm"))]
pub mod files;
pub mod mutations;
pub mod predictor;
mod window;
