//! Variant effects and mutational robustness (the variants panel): `variants`, `robustness`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{Model, constructs, js_err, to_js};
use crate::analysis::ism;
use crate::analysis::variants::Robustness;
use crate::engine::mutations::{Method, Positions};

#[wasm_bindgen(js_class = CamformerModel)]
impl Model {
    /// Effects of variants against `reference` (positions 1-based on it as given): `variants`
    /// holds one set per line, `pos ref alt` triples (several per line are applied together)
    /// or a pair of sequences. Returns `[{line, label, reference, alternative, delta}]`; a bad
    /// line is an error naming it.
    pub async fn variants(&self, reference: String, variants: String) -> Result<JsValue, JsError> {
        let list = crate::analysis::variants::parse(&reference, &variants).map_err(js_err)?;
        let predictions = self
            .predictor
            .predict_async(&crate::analysis::variants::batch(&list))
            .await
            .map_err(js_err)?;
        let effects = crate::analysis::variants::effects(list, &predictions).map_err(js_err)?;
        #[derive(Serialize)]
        struct JsEffect {
            line: usize,
            label: String,
            reference: f32,
            alternative: f32,
            delta: f32,
        }
        to_js(
            &effects
                .iter()
                .map(|e| JsEffect {
                    line: e.variant.line,
                    label: e.variant.label.clone(),
                    reference: e.reference,
                    alternative: e.alternative,
                    delta: e.delta(),
                })
                .collect::<Vec<_>>(),
        )
    }

    /// Mutational robustness of one sequence (Vaishnav et al. 2022): `{reference, mutants,
    /// threshold, robustFraction, upFraction, downFraction, meanAbsDelta, maxIncrease,
    /// maxDecrease}` from its fast ISM.
    pub async fn robustness(
        &self,
        sequence: String,
        threshold: f32,
        all_positions: bool,
    ) -> Result<JsValue, JsError> {
        let construct = constructs(std::slice::from_ref(&sequence))?[0];
        let positions = if all_positions {
            Positions::All
        } else {
            Positions::RandomRegion
        };
        let result = ism::run_async(&self.predictor, &construct, positions, Method::Fast)
            .await
            .map_err(js_err)?;
        let r = Robustness::from_ism(&result, threshold).map_err(js_err)?;
        to_js(&serde_json::json!({
            "reference": r.reference,
            "mutants": r.mutants,
            "threshold": r.threshold,
            "robustFraction": r.robust_fraction,
            "upFraction": r.up_fraction,
            "downFraction": r.down_fraction,
            "meanAbsDelta": r.mean_abs_delta,
            "maxIncrease": r.max_increase,
            "maxDecrease": r.max_decrease,
        }))
    }
}
