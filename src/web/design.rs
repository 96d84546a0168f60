//! Sequence design, one step per call so the worker can report progress and cancel (the design
//! panel): `designStart`, `designStep`.

use wasm_bindgen::prelude::*;

use super::{Model, constructs, js_err, to_js};
use crate::analysis::design::{Design, DesignConfig, Goal};
use crate::engine::mutations::Method;
use crate::input::sequence::{RANDOM_LEN, RANDOM_START};

#[wasm_bindgen(js_class = CamformerModel)]
impl Model {
    /// Starts a design search (replacing any running one): `goal` `"maximize"`/`"minimize"`,
    /// at most `maxEdits` edited positions, `beam` sequences per step (1 = greedy), `frozen`
    /// 1-based positions of the 80-bp random region that must not change. Then call
    /// `designStep()` until it reports `finished` (the worker does, with progress and cancel
    /// between steps).
    #[wasm_bindgen(js_name = designStart)]
    pub async fn design_start(
        &self,
        sequence: String,
        goal: String,
        max_edits: usize,
        beam: usize,
        frozen: Vec<u32>,
    ) -> Result<JsValue, JsError> {
        let construct = constructs(std::slice::from_ref(&sequence))?[0];
        let goal: Goal = goal.parse().map_err(js_err)?;
        let frozen = frozen
            .into_iter()
            .map(|p| {
                let p = p as usize;
                if (1..=RANDOM_LEN).contains(&p) {
                    Ok(p - 1 + RANDOM_START)
                } else {
                    Err(JsError::new(&format!(
                        "frozen position {p} is outside the random region (1-{RANDOM_LEN})"
                    )))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let prediction = self
            .predictor
            .predict_async(std::slice::from_ref(&construct))
            .await
            .map_err(js_err)?[0];
        let config = DesignConfig {
            goal,
            max_edits,
            beam_width: beam,
            frozen,
        };
        let design = Design::new(config, construct, prediction).map_err(js_err)?;
        let state = design_state(&design);
        self.design.replace(Some(design));
        state
    }

    /// One design step: `{finished, steps, trajectory: [{edits, edit, sequence,
    /// prediction}]}` (the path to the best sequence so far).
    #[wasm_bindgen(js_name = designStep)]
    pub async fn design_step(&self) -> Result<JsValue, JsError> {
        let mut design = self
            .design
            .take()
            .ok_or_else(|| JsError::new("no design search is running: call designStart first"))?;
        let mut results = Vec::new();
        for (construct, mutations) in design.pending() {
            results.push(
                self.predictor
                    .ism_async(&construct, mutations, Method::Fast)
                    .await
                    .map_err(js_err)?,
            );
        }
        design.advance(results).map_err(js_err)?;
        let state = design_state(&design);
        self.design.replace(Some(design));
        state
    }
}

/// The JavaScript view of a design search.
fn design_state(design: &Design) -> Result<JsValue, JsError> {
    to_js(&serde_json::json!({
        "finished": design.is_finished(),
        "steps": design.steps(),
        "maxEdits": design.config().max_edits,
        "trajectory": design.trajectory(),
    }))
}
