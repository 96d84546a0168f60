//! Camformer: predicting yeast promoter expression from a 110-bp sequence.
//!
//! Camformer is the residual CNN of the Random Promoter DREAM Challenge 2022 (Bornelöv lab). This
//! crate runs it with [Burn](https://burn.dev): natively (CLI, tests, training) and compiled to
//! WebAssembly for the browser, on WebGPU or the CPU.
//!
//! - [`records`] reads FASTA / TSV / plain sequence files; [`sequence`] checks and turns each
//!   sequence into the 110-bp construct the model sees; [`encoding`] one-hot encodes it.
//! - [`config`] describes the architecture family (Original, Mini, others); [`model`] is the
//!   Burn module; [`weights`] maps the authors' PyTorch `state_dict` (safetensors) onto it;
//!   [`manifest`] describes a weights file.
//! - [`predictor`] runs batched predictions on a device (on the CPU through [`cpu_net`], one
//!   implicit GEMM per convolution); [`ism`] does in-silico mutagenesis;
//!   [`attribution`] computes gradient x input and the authors' Grad-CAM with autodiff;
//!   [`metrics`] has the correlation metrics and [`dream`] the official DREAM challenge score.
//! - [`motifs`] reads MEME-format motif files and scans sequences as FIMO does (JASPAR fungi
//!   motifs are compiled in); [`motif_effects`] predicts what inserting, destroying, tiling or
//!   combining motif sites does.
//!
//! ```no_run
//! # fn main() -> Result<(), camformer::Error> {
//! use camformer::{ArchConfig, Backend, Predictor, records::parse_all};
//! let weights = std::fs::read("mini.safetensors").unwrap();
//! let predictor = Predictor::from_weights(ArchConfig::mini(), &weights, Backend::Cpu.device()?)?;
//! let (good, rejected) = parse_all(">s1\nACGT...\n");
//! let constructs: Vec<_> = good.iter().map(|p| p.construct).collect();
//! let predictions = predictor.predict(&constructs)?;
//! # Ok(()) }
//! ```

pub mod attribution;
pub mod config;
pub mod cpu_net;
pub mod default_model;
pub mod design;
pub mod dream;
pub mod encoding;
pub mod error;
pub mod fast_ism;
pub mod ism;
pub mod manifest;
pub mod metrics;
pub mod model;
#[cfg(not(target_family = "wasm"))]
pub mod model_files;
pub mod motif_effects;
pub mod motifs;
pub mod predictor;
pub mod records;
pub mod sequence;
pub mod variants;
#[cfg(target_family = "wasm")]
pub mod web;
pub mod weights;

pub use config::ArchConfig;
pub use error::{Error, RecordError, RecordProblem};
pub use manifest::Manifest;
pub use model::Camformer;
pub use predictor::{Backend, Predictor};
pub use sequence::Construct;
pub use weights::StateDict;
