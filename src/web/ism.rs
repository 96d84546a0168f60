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
    /// `method` is `"fast"` (default) or `"naive"`. With `first` and `count` (0-based construct
    /// positions, inside those) only that part is computed and returned (`start = first`,
    /// `width = count`): the worker pool splits one sequence's ISM this way.
    pub async fn ism(
        &self,
        sequence: String,
        all_positions: bool,
        method: Option<String>,
        first: Option<usize>,
        count: Option<usize>,
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
        let full = positions.range();
        let range = match (first, count) {
            (None, None) => full,
            (Some(first), Some(count)) => first..first.saturating_add(count),
            _ => {
                return Err(JsError::new(
                    "ism: give both `first` and `count`, or neither",
                ));
            }
        };
        let result = ism::run_range_async(
            &self.predictor,
            &construct,
            positions,
            range.clone(),
            method,
        )
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
        to_js(&JsIsm {
            construct: construct.to_string(),
            reference: result.reference,
            start: range.start,
            width: range.len(),
            matrix: result.matrix_over(range),
        })
    }
}
