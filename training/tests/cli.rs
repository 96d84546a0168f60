//! `camformer-training export` on the shipped model (`models/default`, f16): the weights survive
//! an f16 re-save bit for bit, `--metrics` and `--drop-metric` edit the manifest's metrics, and a
//! key to drop that is not there is an error that names it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn export(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camformer-training"))
        .arg("export")
        .args(args)
        .output()
        .unwrap()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn export_replaces_and_drops_metrics_and_keeps_the_weights() {
    let model = root().join("models/default");
    let before = manifest(&model);
    let keys: Vec<String> = before["metrics"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let dropped = keys
        .first()
        .expect("the shipped manifest has metrics")
        .clone();

    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    std::fs::write(&report, r#"{"r2": 0.5, "n": 3}"#).unwrap();
    let out = dir.path().join("out");
    let run = export(&[
        "--model",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--dtype",
        "f16",
        "--drop-metric",
        &dropped,
        "--metrics",
        &format!("new_report={}", report.display()),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let after = manifest(&out);
    let metrics = after["metrics"].as_object().unwrap();
    assert!(!metrics.contains_key(&dropped));
    assert_eq!(
        metrics["new_report"],
        serde_json::json!({"r2": 0.5, "n": 3})
    );
    for key in keys.iter().filter(|k| **k != dropped) {
        assert_eq!(metrics[key], before["metrics"][key], "metric {key}");
    }
    assert_eq!(after["description"], before["description"]);
    assert_eq!(
        std::fs::read(out.join("model.safetensors")).unwrap(),
        std::fs::read(model.join("model.safetensors")).unwrap(),
        "an f16 model re-saved as f16 keeps its bytes"
    );
    assert_eq!(after["weights"], before["weights"]);
}

#[test]
fn dropping_a_metric_the_manifest_lacks_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = export(&[
        "--model",
        root().join("models/default").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--drop-metric",
        "no_such_metric",
    ]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("--drop-metric 'no_such_metric'"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written when the edit fails");
}
