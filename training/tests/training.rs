//! Training on a tiny real sample (183 DREAM test rows, `tests/data/dream_test_sample.tsv`) with
//! a small member of the Camformer family: runs on the CPU in seconds.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use camformer::manifest::OutputInfo;
use camformer::{ArchConfig, Camformer, model_files};
use camformer_training::data::Dataset;
use camformer_training::train::{self, ExportInfo, Loss, Schedule, TrainConfig};

/// Burn's CPU backend has one global random generator (dropout masks, initialisation): tests that
/// train must not run at the same time, or they draw from each other's stream.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn tiny_arch() -> ArchConfig {
    let text = std::fs::read_to_string(root().join("tests/data/parity/tiny_mini.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(v["architecture"].clone()).unwrap()
}

fn sample() -> (Dataset, Dataset) {
    let (all, report) =
        Dataset::load(&root().join("tests/data/dream_test_sample.tsv"), false).unwrap();
    assert_eq!(report.rows, report.kept);
    let (t, v) = all.split(0.25, 3);
    (all.subset(&t), all.subset(&v))
}

fn config(epochs: usize) -> TrainConfig {
    TrainConfig {
        arch: tiny_arch(),
        epochs,
        batch_size: 32,
        lr: 1e-3,
        weight_decay: 1e-3,
        loss: Loss::Mse,
        schedule: Schedule::Plateau,
        plateau_factor: 0.5,
        plateau_patience: 3,
        early_stop: 10,
        seed: 5,
        max_train: None,
        warmup_steps: 4,
    }
}

fn info() -> ExportInfo {
    ExportInfo {
        name: "test".into(),
        description: "test".into(),
        output: OutputInfo {
            units: "MAUDE".into(),
            description: "test".into(),
        },
        training_data: serde_json::Value::Null,
    }
}

fn checkpoint_weights(dir: &Path) -> Vec<f32> {
    let cfg = tiny_arch();
    let device = Device::flex();
    let net = Camformer::new(&cfg, &device)
        .unwrap()
        .try_load_file(dir.join("checkpoint/model.bpk"))
        .unwrap();
    let sd = net.to_state_dict(&cfg, false).unwrap();
    sd.names()
        .flat_map(|n| sd.get(n).unwrap().data.clone())
        .collect()
}

#[test]
fn loss_goes_down_and_the_model_loads_in_the_cli_format() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (t, v) = sample();
    let dir = tempfile::tempdir().unwrap();
    let history = train::train(
        config(6),
        &t,
        &v,
        dir.path(),
        false,
        Device::flex(),
        &info(),
    )
    .unwrap();
    assert_eq!(history.len(), 6);
    let loss: Vec<f64> = history.iter().map(|h| h.train_loss).collect();
    assert!(loss[4] + loss[5] < 0.95 * (loss[0] + loss[1]), "{loss:?}");
    // The exported best model loads like any other and reproduces its recorded metrics.
    let predictor = model_files::load(dir.path(), None, Device::flex()).unwrap();
    let pred = train::predict_dataset(&predictor, &v).unwrap();
    let (r, rho) = train::correlations(&pred, &v);
    let manifest = predictor.manifest().unwrap();
    let recorded = &manifest.metrics["validation"];
    // Recorded with batch norm as layers, recomputed with it folded: equal up to rounding.
    assert!(
        (recorded["pearson_r"].as_f64().unwrap() - r).abs() < 1e-4,
        "{recorded} vs {r}"
    );
    assert!(
        (recorded["spearman"].as_f64().unwrap() - rho).abs() < 1e-4,
        "{recorded} vs {rho}"
    );
}

#[test]
fn resuming_from_a_checkpoint_gives_the_same_result() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (t, v) = sample();
    let straight = tempfile::tempdir().unwrap();
    let a = train::train(
        config(2),
        &t,
        &v,
        straight.path(),
        false,
        Device::flex(),
        &info(),
    )
    .unwrap();
    let resumed = tempfile::tempdir().unwrap();
    train::train(
        config(1),
        &t,
        &v,
        resumed.path(),
        false,
        Device::flex(),
        &info(),
    )
    .unwrap();
    let b = train::train(
        config(2),
        &t,
        &v,
        resumed.path(),
        true,
        Device::flex(),
        &info(),
    )
    .unwrap();
    assert_eq!(b.len(), 2);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.train_loss, y.train_loss, "{a:?}\n{b:?}");
        // Validation runs multi-threaded inference: equal up to float summation order.
        assert!((x.val_pearson - y.val_pearson).abs() < 1e-9, "{a:?}\n{b:?}");
    }
    assert_eq!(
        checkpoint_weights(straight.path()),
        checkpoint_weights(resumed.path())
    );
}
