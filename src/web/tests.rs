//! The JavaScript API tested in a JavaScript engine (`wasm-bindgen-test`, run in Node.js by
//! `scripts/test.sh`): results must equal the CLI's known outputs for the shipped model.

use serde::Deserialize;
use wasm_bindgen_test::wasm_bindgen_test;

use wasm_bindgen::prelude::*;

use super::Model;
use super::records::parse_records;
use crate::input::sequence::{RANDOM_LEN, RANDOM_START};

const INPUTS: &str = include_str!("../../tests/data/default_model/inputs.fa");
const PREDICTIONS: &str = include_str!("../../tests/data/default_model/predictions.tsv");
const ISM: &str = include_str!("../../tests/data/default_model/ism.tsv");

fn message(e: JsError) -> String {
    let v: JsValue = e.into();
    js_sys::Error::from(v).message().into()
}

fn known_predictions() -> Vec<f32> {
    PREDICTIONS
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(2).unwrap().parse().unwrap())
        .collect()
}

#[derive(Deserialize)]
struct Parsed {
    records: Vec<ParsedRecord>,
    rejected: Vec<ParsedRejected>,
}
#[derive(Deserialize)]
struct ParsedRecord {
    name: String,
    construct: String,
    warning: bool,
}
#[derive(Deserialize)]
struct ParsedRejected {
    number: usize,
    message: String,
}

#[wasm_bindgen_test]
fn parse_records_keeps_every_record_and_names_positions() {
    let text = format!("{INPUTS}>bad\nACGTX\n");
    let parsed: Parsed = serde_wasm_bindgen::from_value(parse_records(&text).unwrap()).unwrap();
    assert_eq!(parsed.records.len(), known_predictions().len());
    assert_eq!(parsed.records[0].name, "dream_idx_0");
    assert!(parsed.records.iter().all(|r| r.construct.len() == 110));
    assert!(
        parsed.records.iter().any(|r| r.warning),
        "the padded record warns"
    );
    assert_eq!(parsed.rejected.len(), 1);
    assert_eq!(parsed.rejected[0].number, parsed.records.len() + 1);
    assert!(
        parsed.rejected[0]
            .message
            .contains("invalid base 'X' at position 5"),
        "{}",
        parsed.rejected[0].message
    );
}

#[wasm_bindgen_test]
async fn default_model_predicts_what_the_cli_predicts() {
    let model = Model::load_default("cpu".into()).await.unwrap();
    assert_eq!(model.backend(), "cpu");
    let seqs: Vec<String> = INPUTS
        .lines()
        .filter(|l| !l.starts_with('>'))
        .map(str::to_string)
        .collect();
    let got = model.predict(seqs).await.unwrap().to_vec();
    for (g, k) in got.iter().zip(known_predictions()) {
        assert!((g - k).abs() < 1e-4, "{g} vs CLI {k}");
    }
}

#[wasm_bindgen_test]
async fn fast_ism_matches_the_cli_naive_ism() {
    #[derive(Deserialize)]
    struct JsIsm {
        start: usize,
        width: usize,
        matrix: Vec<f32>,
        construct: String,
    }
    let model = Model::load_default("cpu".into()).await.unwrap();
    let seq = INPUTS.lines().nth(1).unwrap().to_string();
    let ism = |first: Option<usize>, count: Option<usize>| {
        let (model, seq) = (&model, seq.clone());
        async move {
            let r: JsIsm = serde_wasm_bindgen::from_value(
                model
                    .ism(seq, false, Some("fast".into()), first, count)
                    .await
                    .unwrap(),
            )
            .unwrap();
            r
        }
    };
    let r = ism(None, None).await;
    assert_eq!((r.start, r.width), (RANDOM_START, RANDOM_LEN));
    // Two shares of the positions, as the worker pool computes them, are the whole ISM.
    let a = ism(Some(RANDOM_START), Some(33)).await;
    let b = ism(Some(RANDOM_START + 33), Some(RANDOM_LEN - 33)).await;
    assert_eq!(
        (a.start, a.width, b.start, b.width),
        (RANDOM_START, 33, RANDOM_START + 33, 47)
    );
    for row in 0..4 {
        let joined = [
            &a.matrix[row * 33..(row + 1) * 33],
            &b.matrix[row * 47..(row + 1) * 47],
        ]
        .concat();
        // Equal up to summation order (the mutants share GEMMs with different neighbours).
        for (x, y) in joined
            .iter()
            .zip(&r.matrix[row * RANDOM_LEN..(row + 1) * RANDOM_LEN])
        {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }
    assert!(
        model
            .ism(seq.clone(), false, None, Some(5), Some(10))
            .await
            .is_err(),
        "a share outside the random region"
    );
    let mut compared = 0;
    for line in ISM.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let pos: usize = f[1].parse().unwrap();
        let row = b"ACGT"
            .iter()
            .position(|&b| b == f[3].as_bytes()[0])
            .unwrap();
        let known: f32 = f[4].parse().unwrap();
        let got = r.matrix[row * r.width + pos - 1 - r.start];
        assert!((got - known).abs() < 1e-4, "{line}: {got}");
        assert_ne!(r.construct.as_bytes()[pos - 1], f[3].as_bytes()[0]);
        compared += 1;
    }
    assert_eq!(compared, 240);
}

#[wasm_bindgen_test]
async fn errors_name_the_sequence_and_position() {
    let model = Model::load_default("cpu".into()).await.unwrap();
    let bad = vec![
        "A".repeat(80),
        format!("{}X{}", "A".repeat(40), "C".repeat(39)),
    ];
    let e = message(model.predict(bad).await.unwrap_err());
    assert_eq!(
        e,
        "sequence 2: invalid base 'X' at position 41 (allowed: A, C, G, T, N)"
    );
    // A bad variants line is reported with its line and position; the good one still runs.
    #[derive(Deserialize)]
    struct Variants {
        effects: Vec<serde_json::Value>,
        rejected: Vec<ParsedRejectedLine>,
    }
    #[derive(Deserialize)]
    struct ParsedRejectedLine {
        line: usize,
        message: String,
    }
    let v: Variants = serde_wasm_bindgen::from_value(
        model
            .variants("A".repeat(80), "r3 C G\nr4 A G".into())
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!((v.effects.len(), v.rejected.len()), (1, 1));
    let e = &v.rejected[0];
    assert!(
        e.line == 1 && e.message.contains("line 1") && e.message.contains("region 3"),
        "{}",
        e.message
    );
    let e = message(
        Model::load(vec![1, 2, 3], None, None, "cpu".into())
            .await
            .err()
            .unwrap(),
    );
    assert!(e.starts_with("weights:"), "{e}");
}

#[wasm_bindgen_test]
async fn design_steps_report_predictions_of_their_sequences() {
    let model = Model::load_default("cpu".into()).await.unwrap();
    let seq = INPUTS.lines().nth(1).unwrap().to_string();
    model
        .design_start(seq, "maximize".into(), 2, 1, vec![1, 2, 3])
        .await
        .unwrap();
    #[derive(Deserialize)]
    struct State {
        finished: bool,
        trajectory: Vec<Step>,
    }
    #[derive(Deserialize)]
    struct Step {
        sequence: String,
        prediction: f32,
    }
    let mut state: State;
    loop {
        state = serde_wasm_bindgen::from_value(model.design_step().await.unwrap()).unwrap();
        if state.finished {
            break;
        }
    }
    let seqs: Vec<String> = state
        .trajectory
        .iter()
        .map(|s| s.sequence.clone())
        .collect();
    let direct = model.predict(seqs).await.unwrap().to_vec();
    for (s, d) in state.trajectory.iter().zip(direct) {
        assert!((s.prediction - d).abs() < 1e-4);
        assert_eq!(&s.sequence[17..20], &state.trajectory[0].sequence[17..20]);
    }
}

#[wasm_bindgen_test]
async fn attributions_are_normalised_and_predict_like_the_model() {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct JsAttr {
        channels: usize,
        prediction: f32,
        values: Vec<f32>,
        per_position: Vec<f32>,
    }
    let model = Model::load_default("cpu".into()).await.unwrap();
    let seq = INPUTS.lines().nth(1).unwrap().to_string();
    let cam: JsAttr = serde_wasm_bindgen::from_value(
        model
            .attribute(seq.clone(), "gradcam".into(), None)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(cam.values.len(), cam.channels * 110);
    assert_eq!(cam.per_position.len(), 110);
    let max = cam.values.iter().copied().fold(f32::MIN, f32::max);
    assert!(
        (max - 1.0).abs() < 1e-6,
        "Grad-CAM is normalised by its maximum: {max}"
    );
    assert!((cam.prediction - known_predictions()[0]).abs() < 1e-4);
    let gxi: JsAttr = serde_wasm_bindgen::from_value(
        model
            .attribute(seq, "grad-x-input".into(), None)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(gxi.per_position.iter().any(|v| v.abs() > 0.0));
    let e = message(
        model
            .attribute("ACGT".repeat(20), "gradcam".into(), Some(99))
            .await
            .unwrap_err(),
    );
    assert!(e.contains("99"), "{e}");
}

#[wasm_bindgen_test]
fn dream_score_errors_name_each_file_once() {
    let e = super::dream::dream_score("0.5\n", "0\tx\n", JsValue::UNDEFINED, None).unwrap_err();
    let text = message(e);
    assert!(text.starts_with("measured values, line 1"), "{text}");
    for (predictions, expected) in [
        (
            "0.5\n0.7\n0.9\n",
            "predictions: 3 values without test indices",
        ),
        (
            "0\t0.5\n0\t0.7\n",
            "predictions: test index 0 appears twice",
        ),
        ("0.5\nabc\n", "predictions, line 2"),
    ] {
        let e =
            super::dream::dream_score(predictions, "0\t0.1\n1\t0.2\n", JsValue::UNDEFINED, None)
                .unwrap_err();
        let text = message(e);
        assert!(text.starts_with(expected), "{text}");
        assert!(!text.contains("predictions: predictions"), "{text}");
    }
}
