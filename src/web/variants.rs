//! Variant effects and mutational robustness (the variants panel): `variants`, `robustness`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{Model, constructs, js_err, to_js};
use crate::analysis::ism;
use crate::analysis::variants::Robustness;
use crate::engine::mutations::{Method, Positions};

#[wasm_bindgen(js_class = CamformerModel)]
impl Model {
    /// Effects of variants against `reference` (an 80-bp random region or a 110-bp
    /// construct): `variants` holds one set per line, `pos ref alt` triples with construct
    /// positions (`89 A G`) or random-region ones (`r72 A G`), several per line applied
    /// together, or a pair of sequences. Returns `{effects: [{line, label, reference,
    /// alternative, delta, flankEdit}], rejected: [{line, text, message}]}`: every bad line is
    /// reported and the others are evaluated. Only a bad reference is an error.
    pub async fn variants(&self, reference: String, variants: String) -> Result<JsValue, JsError> {
        let parsed = crate::analysis::variants::parse(&reference, &variants).map_err(js_err)?;
        let predictions = self
            .predictor
            .predict_async(&crate::analysis::variants::batch(&parsed.variants))
            .await
            .map_err(js_err)?;
        let effects =
            crate::analysis::variants::effects(parsed.variants, &predictions).map_err(js_err)?;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct JsEffect {
            line: usize,
            label: String,
            reference: f32,
            alternative: f32,
            delta: f32,
            flank_edit: bool,
        }
        #[derive(Serialize)]
        struct JsRejected {
            line: usize,
            text: String,
            message: String,
        }
        #[derive(Serialize)]
        struct JsVariants {
            effects: Vec<JsEffect>,
            rejected: Vec<JsRejected>,
        }
        to_js(&JsVariants {
            effects: effects
                .iter()
                .map(|e| JsEffect {
                    line: e.variant.line,
                    label: e.variant.label.clone(),
                    reference: e.reference,
                    alternative: e.alternative,
                    delta: e.delta(),
                    flank_edit: e.variant.flank_edit,
                })
                .collect(),
            rejected: parsed
                .rejected
                .iter()
                .map(|e| JsRejected {
                    line: e.line,
                    message: e.to_string(),
                    text: e.text.clone(),
                })
                .collect(),
        })
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
