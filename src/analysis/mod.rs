//! The analysis layer: what predictions are used for.
//!
//! Each analysis builds the constructs to predict, has the engine's
//! [`Predictor`](crate::engine::predictor::Predictor) predict them (synchronously natively, with
//! asynchronous read-back in the browser) and turns the predictions into its result. This
//! layer names the engine and the layers below it, never the front ends above it.
//!
//! - [`ism`]: in-silico saturation mutagenesis of a sequence, and its matrix view.
//! - [`variants`]: effects of given variants, and mutational robustness from an ISM.
//! - [`design`]: beam search for sequences with higher or lower predictions.
//! - [`attribution`]: gradient x input and the authors' Grad-CAM, with Burn's autodiff.
//! - [`motifs`]: MEME motif files and FIMO-style scanning (needs no model).
//! - [`motif_effects`]: the predicted effect of inserting, destroying, tiling or combining
//!   motif sites.

pub mod attribution;
pub mod design;
pub mod ism;
pub mod motif_effects;
pub mod motifs;
pub mod variants;
