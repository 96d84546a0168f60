//! Attributions of one sequence (the attributions panel): `attribute`.

use wasm_bindgen::prelude::*;

use super::{Model, constructs, js_err, to_js};
use crate::analysis::attribution::Method as AttributionMethod;

#[wasm_bindgen(js_class = CamformerModel)]
impl Model {
    /// Attributions of one sequence: `method` `"gradcam"` (the authors' Grad-CAM of block
    /// `layer`, default the last block) or `"grad-x-input"`. Returns `{method, channels,
    /// prediction, values, perPosition, activation, scale}`: `values` is `[channels x 110]`
    /// row-major (channels A, C, G, T and, for Mini, the purine flag), `perPosition` the
    /// per-position reduction (Grad-CAM: channel mean; gradient x input: channel sum),
    /// `activation` Grad-CAM's resampled channel-mean activation (empty otherwise).
    pub async fn attribute(
        &self,
        sequence: String,
        method: String,
        layer: Option<usize>,
    ) -> Result<JsValue, JsError> {
        let construct = constructs(std::slice::from_ref(&sequence))?[0];
        let method = match method.to_ascii_lowercase().as_str() {
            "gradcam" | "grad-cam" => AttributionMethod::GradCam {
                layer: layer.unwrap_or(self.predictor.config().blocks.len() - 1),
            },
            "grad-x-input" | "gradient-x-input" | "gradxinput" => AttributionMethod::GradientXInput,
            other => {
                return Err(JsError::new(&format!(
                    "unknown attribution method '{other}': expected 'gradcam' or 'grad-x-input'"
                )));
            }
        };
        let a = self
            .attributor
            .attribute_async(std::slice::from_ref(&construct), method)
            .await
            .map_err(js_err)?;
        to_js(&serde_json::json!({
            "method": method.name(),
            "channels": a.channels,
            "prediction": a.predictions[0],
            "values": a.sequence(0),
            "perPosition": a.per_position(0),
            "activation": a.activation,
            "scale": a.scale[0],
        }))
    }
}
