//! The model layer: what a Camformer model is, independent of how it is run.
//!
//! This layer owns the architecture family, the Burn module built from it, the weights format
//! (the authors' PyTorch `state_dict` in safetensors) and the manifest that describes a weights
//! file, and the model shipped with the library. It names only the layers below it
//! ([`crate::input`], [`crate::error`]); running a model on a device is the engine's job.
//!
//! - [`config`]: the architecture family ([`config::ArchConfig`]: Original, Mini, others).
//! - [`network`]: the network as a Burn module ([`network::Camformer`]).
//! - [`weights`]: reading and writing `state_dict`s ([`weights::StateDict`]) and folding batch
//!   norm into the convolutions ([`weights::FoldedParams`]).
//! - [`manifest`]: the JSON description of a weights file.
//! - [`default_model`]: the weights and manifest compiled into the library.

pub mod config;
pub mod default_model;
pub mod manifest;
pub mod network;
pub mod weights;
