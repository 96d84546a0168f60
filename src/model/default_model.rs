//! The model shipped with Camformer Web, compiled into the library (CLI and browser).
//!
//! `models/default/` holds the weights and their manifest, written by the training crate:
//! see the README, section "The shipped default model", for the exact command that
//! regenerates them. The manifest records the training data, procedure and measured metrics;
//! `tests/suite/default_model.rs` checks that the shipped files decode into the architecture
//! and reproduce known predictions, so stale or corrupted weights fail loudly.
//!
//! This module only describes the model; the engine's `Predictor::default_model` loads it.

use crate::error::Error;
use crate::model::manifest::Manifest;

/// `models/default/manifest.json`.
pub const MANIFEST_JSON: &str = include_str!("../../models/default/manifest.json");

/// `models/default/model.safetensors`.
pub const WEIGHTS: &[u8] = include_bytes!("../../models/default/model.safetensors");

/// The shipped model's manifest.
pub fn manifest() -> Result<Manifest, Error> {
    Manifest::from_json(MANIFEST_JSON.as_bytes())
}
