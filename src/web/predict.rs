//! Predictions for a list of sequences: `predict`.

use js_sys::Float32Array;
use wasm_bindgen::prelude::*;

use super::{Model, constructs, js_err};

#[wasm_bindgen(js_class = CamformerModel)]
impl Model {
    /// Predictions for sequences (80-bp regions, 110-bp constructs or 107-113 bp, as the CLI),
    /// in order, as a `Float32Array`.
    pub async fn predict(&self, sequences: Vec<String>) -> Result<Float32Array, JsError> {
        let constructs = constructs(&sequences)?;
        let out = self
            .predictor
            .predict_async(&constructs)
            .await
            .map_err(js_err)?;
        Ok(Float32Array::from(out.as_slice()))
    }
}
