//! The JavaScript API (wasm-bindgen): the only module that knows about JavaScript.
//!
//! Everything here is a thin wrapper over the library: the same sequence rules and error
//! messages as the CLI, the same model code. Errors are `JsError`s whose messages name the
//! record (or the 1-based index in the given list) and the 1-based position.
//!
//! Call these from one Web Worker that runs one job at a time (`www/worker.js`): the methods
//! take `&self`, so overlapping calls would not corrupt anything, but a long CPU job blocks the
//! thread it runs on.
//!
//! This module holds the loaded [`Model`] (loading it, its properties) and the conversions
//! every capability uses; the capabilities are one file each, like the app's panels, and each
//! adds its methods to `CamformerModel` in its own `impl` block (wasm-bindgen joins them into
//! one JavaScript class):
//!
//! - [`records`] has `parseRecords` and `randomRegionStart` (the input panel);
//! - [`predict`] has `predict`;
//! - [`ism`] has `ism`;
//! - [`variants`] has `variants` and `robustness`;
//! - [`design`] has `designStart` and `designStep`;
//! - [`attribution`] has `attribute`;
//! - [`motifs`] has `motifInsert`, `motifAblate`, `motifTile`, `motifPair`, `motifMatrix`,
//!   `motifList` and `scanMotifs`;
//! - [`dream`] has `dreamScore`.

pub mod attribution;
pub mod design;
pub mod dream;
pub mod ism;
pub mod motifs;
pub mod predict;
pub mod records;
pub mod variants;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;

use std::cell::RefCell;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::analysis::attribution::Attributor;
use crate::analysis::design::Design;
use crate::engine::predictor::{Backend, Predictor};
use crate::error::Error;
use crate::input::sequence::{Construct, prepare};
use crate::model::config::ArchConfig;
use crate::model::default_model;
use crate::model::manifest::Manifest;
use crate::model::weights::StateDict;

/// A library error for JavaScript: the message is the one the CLI prints.
fn js_err(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

/// A result as a plain JavaScript value (JSON-compatible: maps become objects, not `Map`s).
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("cannot convert result for JavaScript: {e}")))
}

unsafe extern "C" {
    /// The static constructors of the module (`inventory`/`linkme` registrations pulled in by
    /// Burn's GPU compiler stack), synthesised by `wasm-ld`.
    fn __wasm_call_ctors();
}

/// Runs once when the module is instantiated: the static constructors, then a panic hook that
/// reports Rust panics on the console with their message.
///
/// Why call the constructors by hand: when nothing in a module references
/// `__wasm_call_ctors`, `wasm-ld` treats it as a command-style module and inserts a call to all
/// ~4,000 constructors at the top of *every* exported function, which made each call from
/// JavaScript cost ~0.5 ms (10,000 records took 80 s to parse). Referencing it here turns that
/// off; calling it once at start-up keeps the constructors' effect.
#[wasm_bindgen(start)]
pub fn start() {
    // SAFETY: called exactly once, before any other export runs (wasm-bindgen's start hook).
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
}

/// The sequences given to `predict`/`ism` as constructs; an error names the 1-based index.
fn constructs(sequences: &[String]) -> Result<Vec<Construct>, JsError> {
    sequences
        .iter()
        .enumerate()
        .map(|(i, s)| {
            prepare(s.trim())
                .map(|(c, _)| c)
                .map_err(|p| JsError::new(&format!("sequence {}: {p}", i + 1)))
        })
        .collect()
}

/// A loaded Camformer model on one backend.
#[wasm_bindgen(js_name = CamformerModel)]
pub struct Model {
    predictor: Predictor,
    /// The same weights with batch norm kept, for gradients and Grad-CAM.
    attributor: Attributor,
    backend: Backend,
    /// The design search in progress, if any (taken out while a step runs).
    design: RefCell<Option<Design>>,
}

async fn device_for(backend: &str) -> Result<(Backend, burn::tensor::Device), JsError> {
    let backend: Backend = backend.parse().map_err(js_err)?;
    let device = backend.device_async().await.map_err(js_err)?;
    Ok((backend, device))
}

impl Model {
    fn new(predictor: Predictor, attributor: Attributor, backend: Backend) -> Self {
        Model {
            predictor,
            attributor,
            backend,
            design: RefCell::new(None),
        }
    }
}

#[wasm_bindgen(js_class = CamformerModel)]
impl Model {
    /// The model compiled into this module, on `backend` (`"cpu"` or `"webgpu"`).
    #[wasm_bindgen(js_name = loadDefault)]
    pub async fn load_default(backend: String) -> Result<Model, JsError> {
        let (backend, device) = device_for(&backend).await?;
        let manifest = default_model::manifest().map_err(js_err)?;
        let attributor =
            Attributor::from_manifest(&manifest, default_model::WEIGHTS, device.clone())
                .map_err(js_err)?;
        let predictor = Predictor::default_model(device).map_err(js_err)?;
        Ok(Model::new(predictor, attributor, backend))
    }

    /// User-supplied weights: safetensors bytes in the authors' `state_dict` layout, with the
    /// text of their `manifest.json` (checked against the weights' sha256), or without one an
    /// architecture name (`"mini"`, `"original"`) or JSON config, or neither (detected from
    /// the tensor shapes).
    pub async fn load(
        weights: Vec<u8>,
        manifest: Option<String>,
        arch: Option<String>,
        backend: String,
    ) -> Result<Model, JsError> {
        let (backend, device) = device_for(&backend).await?;
        let predictor = match (manifest, arch) {
            (Some(m), _) if !m.trim().is_empty() => {
                let manifest = Manifest::from_json(m.as_bytes()).map_err(js_err)?;
                Predictor::from_manifest(manifest, &weights, device)
            }
            (_, Some(a)) if !a.trim().is_empty() => {
                let config = if a.trim_start().starts_with('{') {
                    let c: ArchConfig = serde_json::from_str(&a).map_err(|e| {
                        JsError::new(&format!("architecture: invalid JSON config: {e}"))
                    })?;
                    c.validate().map_err(js_err)?;
                    c
                } else {
                    ArchConfig::preset(&a).map_err(js_err)?
                };
                Predictor::from_weights(config, &weights, device)
            }
            _ => {
                let state = StateDict::from_safetensors(&weights).map_err(js_err)?;
                let config = [ArchConfig::mini(), ArchConfig::original()]
                    .into_iter()
                    .find(|c| state.fits(c))
                    .ok_or_else(|| {
                        JsError::new(
                            "weights: the tensors match neither Camformer Original nor Mini; \
                             give a manifest or an architecture",
                        )
                    })?;
                Predictor::from_weights(config, &weights, device)
            }
        }
        .map_err(js_err)?;
        let attributor = Attributor::from_weights(
            predictor.config().clone(),
            &weights,
            predictor.device().clone(),
        )
        .map_err(js_err)?;
        Ok(Model::new(predictor, attributor, backend))
    }

    /// The backend in use: `"webgpu"` or `"cpu"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.name().to_string()
    }

    /// The manifest (name, architecture, output units, training data, metrics), or for bare
    /// weights `{name, architecture}`.
    #[wasm_bindgen(getter)]
    pub fn manifest(&self) -> Result<JsValue, JsError> {
        match self.predictor.manifest() {
            Some(m) => to_js(m),
            None => to_js(&serde_json::json!({
                "name": format!("user weights ({})", self.predictor.config().name),
                "architecture": self.predictor.config(),
            })),
        }
    }

    /// Trainable parameters.
    #[wasm_bindgen(getter, js_name = parameterCount)]
    pub fn parameter_count(&self) -> Result<usize, JsError> {
        self.predictor.config().parameter_count().map_err(js_err)
    }

    /// Sequences per forward pass.
    #[wasm_bindgen(setter, js_name = batchSize)]
    pub fn set_batch_size(&mut self, batch_size: usize) {
        self.predictor.set_batch_size(batch_size);
    }
}
