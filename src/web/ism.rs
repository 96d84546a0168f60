//! Saturation mutagenesis of one sequence (the ISM panel): `ism`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{Model, constructs, js_err, to_js};
use crate::analysis::ism;
use crate::engine::mutations::{Method, Positions};

#[wasm_bindgen(js_class = CamformerModel)]
impl Model {
    /// Saturation mutagenesis of one sequence: `{construct, reference, start, width,
    /// matrix}` where `matrix` is `[4 x width]` row-major (rows A, C, G, T; reference cells 0)
    /// of `prediction(mutant) - prediction(reference)` over 0-based construct positions
    /// `start .. start + width` (the 80-bp random region, or all 110 with `allPositions`).
    /// `method` is `"fast"` (default) or `"naive"`.
    pub async fn ism(
        &self,
        sequence: String,
        all_positions: bool,
        method: Option<String>,
    ) -> Result<JsValue, JsError> {
        let construct = constructs(std::slice::from_ref(&sequence))?[0];
        let positions = if all_positions {
            Positions::All
        } else {
            Positions::RandomRegion
        };
        let method: Method = method
            .as_deref()
            .unwrap_or("fast")
            .parse()
            .map_err(js_err)?;
        let result = ism::run_async(&self.predictor, &construct, positions, method)
            .await
            .map_err(js_err)?;
        #[derive(Serialize)]
        struct JsIsm {
            construct: String,
            reference: f32,
            start: usize,
            width: usize,
            matrix: Vec<f32>,
        }
        let range = positions.range();
        to_js(&JsIsm {
            construct: construct.to_string(),
            reference: result.reference,
            start: range.start,
            width: range.len(),
            matrix: result.matrix(positions),
        })
    }
}
