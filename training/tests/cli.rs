//! The `camformer-training` commands that turn results into a shipped manifest, run as a user
//! runs them: `cv-report --json --procedure` on out-of-fold predictions of the real DREAM sample
//! (`tests/data/dream_test_sample.tsv`), alone, from a `cv` directory's fold files, and as an
//! ensemble of two, and `export` on the shipped model (`models/default`,
//! f16): the weights survive an f16 re-save bit for bit, `--metrics` and `--drop-metric` edit the
//! manifest's metrics, and a key to drop that is not there is an error that names it. Bad
//! options (an unknown `--device`, distillation options without a teacher) stop a run before it
//! writes anything.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn run(command: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camformer-training"))
        .arg(command)
        .args(args)
        .output()
        .unwrap()
}

fn export(args: &[&str]) -> Output {
    run("export", args)
}

/// Pearson's r, computed here independently of the crate's scorer.
fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let vy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    cov / (vx * vy).sqrt()
}

/// Writes out-of-fold rows for every row of the DREAM sample `text` (three folds), predicting
/// `predict(row, measured)` (stored as f32); returns the measured and the stored predictions.
fn write_oof(path: &Path, text: &str, predict: impl Fn(usize, f64) -> f64) -> (Vec<f64>, Vec<f64>) {
    let mut oof = String::from("row\tidx\tfold\tmeasured\tprediction\n");
    let (mut measured, mut predicted) = (Vec::new(), Vec::new());
    for (row, line) in text.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        let expr: f64 = f[2].parse().unwrap();
        let prediction = predict(row, expr) as f32;
        oof += &format!("{row}\t{}\t{}\t{}\t{prediction}\n", f[0], row % 3, f[2]);
        measured.push(expr);
        predicted.push(prediction as f64);
    }
    std::fs::write(path, oof).unwrap();
    (measured, predicted)
}

#[test]
fn cv_report_writes_the_manifest_entry_with_its_procedure() {
    let data = root().join("tests/data/dream_test_sample.tsv");
    let text = std::fs::read_to_string(&data).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Predictions that are not the measurements: scaled, with a row-dependent offset.
    let oof_path = dir.path().join("oof.tsv");
    let (measured, predicted) = write_oof(&oof_path, &text, |row, expr| {
        0.8 * expr + 0.1 * ((row * 7 % 5) as f64 - 2.0)
    });
    let json = dir.path().join("cv.json");
    let procedure = "Mini, 2 one-cycle epochs, seed 1";
    let oof_arg = oof_path.to_str().unwrap();
    let cv_report = |extra: &[&str]| {
        let base = ["--oof", oof_arg, "--data", data.to_str().unwrap()];
        run("cv-report", &[&base[..], extra].concat())
    };
    let report = cv_report(&["--json", json.to_str().unwrap(), "--procedure", procedure]);
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(metrics["procedure"], procedure);
    assert_eq!(metrics["folds"], 3);
    assert_eq!(metrics["n"], measured.len());
    let r = pearson(&measured, &predicted);
    assert!((metrics["pearson_r"].as_f64().unwrap() - r).abs() < 1e-9);
    assert!((metrics["r2"].as_f64().unwrap() - r * r).abs() < 1e-9);

    // A cv directory without a pooled oof.tsv: its folds' files, read and pooled, score the
    // same (as the folds committed under docs/results/ are scored).
    let cv_dir = dir.path().join("cv");
    let text_oof = std::fs::read_to_string(&oof_path).unwrap();
    let (header, rows) = text_oof.split_once('\n').unwrap();
    for fold in 0..3 {
        let fold_dir = cv_dir.join(format!("fold-{fold}"));
        std::fs::create_dir_all(&fold_dir).unwrap();
        let mine: String = rows
            .lines()
            .filter(|l| l.split('\t').nth(2) == Some(&fold.to_string()))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(fold_dir.join("oof.tsv"), format!("{header}\n{mine}")).unwrap();
    }
    let folds_json = dir.path().join("folds.json");
    let from_folds = run(
        "cv-report",
        &[
            "--oof",
            cv_dir.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--json",
            folds_json.to_str().unwrap(),
        ],
    );
    assert!(
        from_folds.status.success(),
        "{}",
        String::from_utf8_lossy(&from_folds.stderr)
    );
    let pooled: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&folds_json).unwrap()).unwrap();
    assert_eq!(pooled["n"], measured.len());
    assert!((pooled["pearson_r"].as_f64().unwrap() - r).abs() < 1e-9);

    // The procedure belongs to the JSON: without --json it is refused, not dropped.
    let without_json = cv_report(&["--procedure", procedure]);
    assert!(!without_json.status.success());

    // Two cross-validations' files: the ensemble, each row's mean prediction.
    let second_path = dir.path().join("second.tsv");
    let (_, second) = write_oof(&second_path, &text, |row, expr| {
        1.1 * expr - 0.2 * ((row * 3 % 4) as f64 - 1.5)
    });
    let mean: Vec<f64> = predicted
        .iter()
        .zip(&second)
        .map(|(a, b)| (a + b) / 2.0)
        .collect();
    let both = cv_report(&[
        "--oof",
        second_path.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(
        both.status.success(),
        "{}",
        String::from_utf8_lossy(&both.stderr)
    );
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let r = pearson(&measured, &mean);
    assert!((metrics["pearson_r"].as_f64().unwrap() - r).abs() < 1e-6);
}

#[test]
fn distillation_options_without_a_teacher_are_refused() {
    let data = root().join("tests/data/dream_test_sample.tsv");
    let out = tempfile::tempdir().unwrap();
    for option in ["--neighbours", "--teacher-weight", "--neighbour-mutations"] {
        let run = run(
            "train",
            &[
                "--data",
                data.to_str().unwrap(),
                "--out",
                out.path().to_str().unwrap(),
                option,
                "1",
            ],
        );
        assert!(!run.status.success(), "{option}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains("--teacher"), "{option}: {stderr}");
    }
    assert!(
        std::fs::read_dir(out.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

/// `--device` is read when the arguments are, by every command that takes it: an unknown
/// backend stops the run before any data loads or any file is written, and the error names the
/// flag and the value.
#[test]
fn an_unknown_device_is_refused_before_anything_runs() {
    let data = root().join("tests/data/dream_test_sample.tsv");
    let out = tempfile::tempdir().unwrap();
    let (data, out_dir) = (data.to_str().unwrap(), out.path().to_str().unwrap());
    let model = root().join("models/default");
    let commands: [(&str, Vec<&str>); 4] = [
        ("train", vec!["--data", data, "--out", out_dir]),
        ("cv", vec!["--data", data, "--out", out_dir]),
        ("bench", vec!["--steps", "1"]),
        (
            "evaluate",
            vec!["--model", model.to_str().unwrap(), "--data", data],
        ),
    ];
    for (command, args) in commands {
        let run = run(command, &[args.as_slice(), &["--device", "tpu"]].concat());
        assert!(!run.status.success(), "{command}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            stderr.contains("--device") && stderr.contains("unknown backend 'tpu'"),
            "{command}: {stderr}"
        );
    }
    assert!(
        std::fs::read_dir(out.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

#[test]
fn extra_rows_without_random_training_rows_to_map_onto_are_refused() {
    let data = root().join("tests/data/dream_test_sample.tsv");
    let extra = root().join("tests/data/dream_train_irregular.tsv");
    let out = tempfile::tempdir().unwrap();
    let run = run(
        "train",
        &[
            "--data",
            data.to_str().unwrap(),
            "--extra-data",
            extra.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
    );
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("dream_train_irregular.tsv") && stderr.contains("`random`"),
        "{stderr}"
    );
    assert!(
        std::fs::read_dir(out.path()).unwrap().next().is_none(),
        "nothing written"
    );
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
