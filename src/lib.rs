//! Camformer: predicting yeast promoter expression from a 110-bp sequence.
//!
//! Camformer is the residual CNN of the Random Promoter DREAM Challenge 2022 (Bornelöv lab). This
//! crate runs it with [Burn](https://burn.dev): natively (CLI, tests, training) and compiled to
//! WebAssembly for the browser, on WebGPU or the CPU.
//!
//! The library is arranged in layers, one folder each, listed here from the bottom up. A module
//! names only modules of its own layer or of layers below it, never one above, and no modules
//! depend on each other in a cycle (`tests/suite/architecture.rs` checks both):
//!
//! 1. [`error`]: the crate's one error type, with the record problems it reports. (Below it,
//!    a private leaf holds the construct's layout constants its messages print; they are
//!    public as [`input::sequence`]'s.)
//! 2. [`input`]: what users give the model. [`input::records`] reads FASTA / TSV / plain
//!    sequence files; [`input::sequence`] checks and turns each sequence into the 110-bp
//!    construct the model sees; [`input::encoding`] one-hot encodes it.
//! 3. [`model`]: what a model is. [`model::config`] describes the architecture family
//!    (Original, Mini, others); [`model::network`] is the Burn module; [`model::weights`] maps
//!    the authors' PyTorch `state_dict` (safetensors) onto it; [`model::manifest`] describes a
//!    weights file; [`model::default_model`] is the model compiled into the library.
//! 4. [`engine`]: running a model. [`engine::predictor`] runs batched predictions and
//!    in-silico mutagenesis (ISM) on a device, on the CPU through [`engine::cpu_net`] (one
//!    implicit GEMM per convolution) and elsewhere through the Burn module
//!    ([`engine::burn_ism`] is fast ISM in tensor operations); [`engine::mutations`] holds the
//!    ISM data both engines share; `engine::files` loads models from disk (native only).
//! 5. [`analysis`]: what the predictions are used for. [`analysis::ism`] runs and presents
//!    ISM; [`analysis::variants`] scores variants and mutational robustness;
//!    [`analysis::design`] searches for sequences; [`analysis::attribution`] computes gradient
//!    x input and the authors' Grad-CAM with autodiff; [`analysis::motifs`] reads MEME-format
//!    motif files and scans sequences as FIMO does (JASPAR fungi motifs are compiled in);
//!    [`analysis::motif_effects`] predicts what inserting, destroying, tiling or combining
//!    motif sites does.
//! 6. [`score`]: judging predictions against measurements, independent of any model (it names
//!    only [`error`] and [`input`]). [`score::metrics`] has the correlation metrics and
//!    [`score::dream`] the official DREAM challenge score.
//! 7. On top, the front ends: `web` (WebAssembly builds only) is the JavaScript API, and the
//!    `camformer` command-line tool lives in `src/bin/camformer`.
//!
//! The main types are re-exported here: [`Error`], [`RecordError`], [`RecordProblem`],
//! [`Construct`], [`ArchConfig`], [`Camformer`], [`StateDict`], [`Manifest`], [`Backend`] and
//! [`Predictor`].
//!
//! ```no_run
//! # fn main() -> Result<(), camformer::Error> {
//! use camformer::{ArchConfig, Backend, Predictor, input::records::parse_all};
//! let weights = std::fs::read("mini.safetensors").unwrap();
//! let predictor = Predictor::from_weights(ArchConfig::mini(), &weights, Backend::Cpu.device()?)?;
//! let (good, rejected) = parse_all(">s1\nACGT...\n");
//! let constructs: Vec<_> = good.iter().map(|p| p.construct).collect();
//! let predictions = predictor.predict(&constructs)?;
//! # Ok(()) }
//! ```

mod layout;

pub mod error;

pub mod input;

pub mod model;

pub mod engine;

pub mod analysis;

pub mod score;

#[cfg(target_family = "wasm")]
pub mod web;

pub use engine::predictor::{Backend, Predictor};
pub use error::{Error, RecordError, RecordProblem};
pub use input::sequence::Construct;
pub use model::config::ArchConfig;
pub use model::manifest::Manifest;
pub use model::network::Camformer;
pub use model::weights::StateDict;
