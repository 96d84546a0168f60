//! The official DREAM 2022 score of the user's predictions (the DREAM panel): `dreamScore`.

use wasm_bindgen::prelude::*;

use super::{js_err, to_js};
use crate::score::dream::{Alignment, PairRule, Predictions, Scorer, SubsetScore, TestSet};

/// The official DREAM 2022 score of predictions for the challenge's test set, as
/// `camformer score` computes it: `predictions` one number per line in test order, or
/// `idx<TAB>prediction` lines (a header naming `idx`/`prediction` is fine); `measured` the
/// user's copy of the measured values (a TSV with `idx`, `expr` and optionally the subset flag
/// columns); `pairs` an object `{SNVs, motif_perturbation, motif_tiling}` of pair-list texts
/// (`alt_pos ref_pos` lines) for the private paired subsets; `pairRule` `"any-public-index"`
/// (default: a pair is private only if neither sequence is public) or `"public-pair"`.
/// Returns `{alignment, predictions, measured, public: {pearsonScore, spearmanScore, subsets}
/// | {error}, private: {...}, published}` with `subsets: [{name, n, pearson, spearman}]`.
#[wasm_bindgen(js_name = dreamScore)]
pub fn dream_score(
    predictions: &str,
    measured: &str,
    pairs: JsValue,
    pair_rule: Option<String>,
) -> Result<JsValue, JsError> {
    let public = Scorer::shipped_public_leaderboard().map_err(js_err)?;
    // The parsers' errors already name their file ("measured values" / "predictions") and line.
    let mut test = TestSet::parse(measured).map_err(js_err)?;
    let pairs: std::collections::HashMap<String, String> =
        if pairs.is_undefined() || pairs.is_null() {
            Default::default()
        } else {
            serde_wasm_bindgen::from_value(pairs)
                .map_err(|e| JsError::new(&format!("pairs: expected {{subset: text}}: {e}")))?
        };
    for (subset, text) in &pairs {
        test.add_pairs(subset, text)
            .map_err(|e| JsError::new(&format!("{subset} pairs: {e}")))?;
    }
    let rule = match pair_rule.as_deref().unwrap_or("any-public-index") {
        "any-public-index" => PairRule::AnyPublicIndex,
        "public-pair" => PairRule::PublicPair,
        other => {
            return Err(JsError::new(&format!(
                "unknown pair rule '{other}': expected 'any-public-index' or 'public-pair'"
            )));
        }
    };
    let parsed = Predictions::parse(predictions).map_err(js_err)?;
    let (values, alignment) = parsed.resolve(&test).map_err(js_err)?;
    let get = |i: usize| values.get(&i).copied();
    let table = |subsets: &[(String, SubsetScore)]| {
        subsets
            .iter()
            .map(|(name, s)| {
                serde_json::json!({"name": name, "n": s.n, "pearson": s.pearson, "spearman": s.spearman})
            })
            .collect::<Vec<_>>()
    };
    let public_result = match public.score(get) {
        Ok(r) => serde_json::json!({
            "pearsonScore": r.pearson_score, "spearmanScore": r.spearman_score,
            "subsets": table(&r.subsets),
        }),
        Err(e) => serde_json::json!({ "error": e.to_string() }),
    };
    let private = test.private_scorer_with(&public, rule).map_err(js_err)?;
    let private_result = match private.subset_scores(get) {
        Ok(subsets) => {
            let totals = if private.is_complete() {
                private
                    .score(get)
                    .ok()
                    .map(|r| (r.pearson_score, r.spearman_score))
            } else {
                None
            };
            serde_json::json!({
                "pearsonScore": totals.map(|t| t.0), "spearmanScore": totals.map(|t| t.1),
                "subsets": table(&subsets),
                "complete": private.is_complete(),
            })
        }
        Err(e) => serde_json::json!({ "error": e.to_string() }),
    };
    to_js(&serde_json::json!({
        "alignment": match alignment {
            Alignment::ByIndex => "by test index",
            Alignment::TestOrder => "line k = test index k",
            Alignment::MeasuredOrder => "line k = row k of the measured file",
        },
        "predictions": parsed.len(),
        "measured": test.len(),
        "public": public_result,
        "private": private_result,
        "published": {
            "LegNet (autosome.org), public leaderboard": {"pearsonScore": 0.829, "spearmanScore": 0.860, "r2": 0.952, "rho": 0.979},
            "Camformer Original (paper, all 71,103 test sequences)": {"r2": 0.914, "rho": 0.962},
            "Camformer Mini (paper, all 71,103 test sequences)": {"r2": 0.898, "rho": 0.952},
        },
    }))
}

/// Scores predictions the app has just made, named by DREAM test index (a DREAM test TSV read
/// with its `idx` column): on the public-leaderboard rows among them, with the built-in
/// measured values. With every public row present the result is the official public score;
/// otherwise per-subset correlations over the public rows predicted (subsets with fewer than
/// three rows or pairs are left out). Returns `{predicted, publicRows, complete, pearsonScore,
/// spearmanScore, subsets: [{name, n, pearson, spearman}]}`; the totals are `null` unless
/// complete.
#[wasm_bindgen(js_name = dreamScorePredicted)]
pub fn dream_score_predicted(indices: Vec<u32>, predictions: Vec<f64>) -> Result<JsValue, JsError> {
    if indices.len() != predictions.len() {
        return Err(JsError::new(&format!(
            "{} test indices but {} predictions",
            indices.len(),
            predictions.len()
        )));
    }
    let mut values = std::collections::HashMap::with_capacity(indices.len());
    for (&i, &p) in indices.iter().zip(&predictions) {
        if values.insert(i as usize, p).is_some_and(|q| q != p) {
            return Err(JsError::new(&format!(
                "test index {i} was predicted twice, with different values"
            )));
        }
    }
    let public = Scorer::shipped_public_leaderboard().map_err(js_err)?;
    let needed = public.indices();
    let public_rows = needed.iter().filter(|i| values.contains_key(i)).count();
    let get = |i: usize| values.get(&i).copied();
    let complete = public_rows == needed.len();
    let scorer = if complete {
        public
    } else {
        public.restricted_to(|i| values.contains_key(&i))
    };
    let subsets = scorer.subset_scores(get).map_err(js_err)?;
    let totals = if complete {
        scorer
            .score(get)
            .ok()
            .map(|r| (r.pearson_score, r.spearman_score))
    } else {
        None
    };
    to_js(&serde_json::json!({
        "predicted": values.len(),
        "publicRows": public_rows,
        "complete": complete,
        "pearsonScore": totals.map(|t| t.0),
        "spearmanScore": totals.map(|t| t.1),
        "subsets": subsets.iter().map(|(name, s)| serde_json::json!({
            "name": name, "n": s.n, "pearson": s.pearson, "spearman": s.spearman
        })).collect::<Vec<_>>(),
    }))
}
