//! Training on a tiny real sample (183 DREAM test rows, `tests/data/dream_test_sample.tsv`) with
//! a small member of the Camformer family: runs on the CPU in seconds.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use camformer::StateDict;
use camformer::engine::files as model_files;
use camformer::model::manifest::OutputInfo;
use camformer::{ArchConfig, Camformer};
use camformer_training::augment::Augment;
use camformer_training::backward::{Backward, DropoutMasks, Stepper};
use camformer_training::batch;
use camformer_training::data::Dataset;
use camformer_training::distill::{self, Distill, Teachers};
use camformer_training::extra::{self, ExtraRows};
use camformer_training::step::{self, Loss};
use camformer_training::train::{self, ExportInfo, Schedule, TrainConfig};
use camformer_training::{bench, cv, predict};

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
        time_limit_s: None,
        backward: Backward::Auto,
        dropout_masks: DropoutMasks::Own,
        augment: None,
        reverse_complement: false,
        init: None,
        distill: None,
        extra: None,
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

/// The tests' cross-validation: a 0.2 early-stopping split, every training row, no resume,
/// on the CPU.
fn cross_validation<'a>(
    data: &'a Dataset,
    folds: &'a [usize],
    out: &'a Path,
) -> cv::CrossValidation<'a> {
    cv::CrossValidation {
        data,
        folds,
        val_fraction: 0.2,
        subset: None,
        out,
        resume: false,
        device: Device::flex(),
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
    let pred = predict::predict_dataset(&predictor, &v).unwrap();
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

/// Training on both strands: validation and the exported model's recorded metrics are the mean
/// over both strands of each sequence.
#[test]
fn both_strands_train_and_predict_as_the_mean_over_strands() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (t, v) = sample();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(2);
    c.reverse_complement = true;
    train::train(c, &t, &v, dir.path(), false, Device::flex(), &info()).unwrap();
    let predictor = model_files::load(dir.path(), None, Device::flex()).unwrap();
    let both = predict::predict_both_strands(&predictor, &v).unwrap();
    let forward = predict::predict_dataset(&predictor, &v).unwrap();
    let reverse: Vec<_> = v
        .seqs
        .iter()
        .map(|p| p.unpack().reverse_complement())
        .collect();
    let reverse = predictor.predict(&reverse).unwrap();
    for i in 0..v.len() {
        assert!((both[i] - 0.5 * (forward[i] + reverse[i])).abs() < 1e-6);
    }
    assert_ne!(forward, reverse, "the strands give different predictions");
    let (r, _) = train::correlations(&both, &v);
    let manifest = predictor.manifest().unwrap();
    let recorded = manifest.metrics["validation"]["pearson_r"]
        .as_f64()
        .unwrap();
    assert!((recorded - r).abs() < 1e-4, "{recorded} vs {r}");
    assert_eq!(manifest.training["procedure"]["reverse_complement"], true);
}

/// Extra rows from another experiment join the training rows only, their values quantile-mapped
/// onto the training rows' `random` scale; the map needs such rows, and the manifest names the
/// file.
#[test]
fn extra_rows_are_mapped_onto_the_training_scale_and_trained_on() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (t, v) = sample();
    // Real rows of the DREAM training library (0-17 scale; lengths 96-111, some with N).
    let path = root().join("tests/data/dream_train_irregular.tsv");
    let extra_rows = ExtraRows { path: path.clone() };

    // The sample has too few `random` rows to fit a map on: a named error.
    let err = extra::with_extra(&t, &extra_rows).unwrap_err().to_string();
    assert!(
        err.contains("random") && err.contains("dream_train_irregular"),
        "{err}"
    );

    // Every training row as reference, for the test.
    let mut reference = t.clone();
    reference.random = vec![true; t.len()];
    let (raw, report) = Dataset::load(&path, true).unwrap();
    assert!(
        report.rejected.values().sum::<usize>() > 0,
        "the 96-bp rows are rejected"
    );
    let (joined, summary) = extra::with_extra(&reference, &extra_rows).unwrap();
    assert_eq!(summary.rows, raw.len());
    assert_eq!(summary.reference_rows, t.len());
    assert_eq!(summary.load_report, report);
    assert_eq!(joined.len(), t.len() + raw.len());
    assert_eq!(
        joined.subset(&(0..t.len()).collect::<Vec<_>>()).targets,
        t.targets
    );
    let mapped = &joined.targets[t.len()..];
    let (low, high) = t
        .targets
        .iter()
        .fold((f32::MAX, f32::MIN), |(l, h), &x| (l.min(x), h.max(x)));
    assert!(
        mapped.iter().all(|m| (low..=high).contains(m)),
        "inside the training range"
    );
    for i in 0..raw.len() {
        for j in 0..raw.len() {
            if raw.targets[i] < raw.targets[j] {
                assert!(mapped[i] <= mapped[j], "the map keeps the order");
            }
        }
    }
    assert!(
        raw.targets.iter().all(|&x| x > 2.0),
        "the raw values are on the 0-17 scale"
    );
    assert!(joined.random[t.len()..].iter().all(|&r| !r));
    assert!(joined.groups[t.len()..].iter().all(Option::is_none));

    // A run with the extra rows trains on them (other weights than without) and says so.
    let (plain, more) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    train::train(
        config(1),
        &reference,
        &v,
        plain.path(),
        false,
        Device::flex(),
        &info(),
    )
    .unwrap();
    let mut c = config(1);
    c.extra = Some(extra_rows);
    train::train(
        c,
        &reference,
        &v,
        more.path(),
        false,
        Device::flex(),
        &info(),
    )
    .unwrap();
    let predictions = |d: &Path| {
        let p = model_files::load(d, None, Device::flex()).unwrap();
        predict::predict_dataset(&p, &v).unwrap()
    };
    assert_ne!(predictions(plain.path()), predictions(more.path()));
    let manifest = model_files::load(more.path(), None, Device::flex())
        .unwrap()
        .manifest()
        .unwrap()
        .clone();
    assert_eq!(
        manifest.training["procedure"]["extra"]["path"],
        path.to_string_lossy().as_ref()
    );
    let recorded = &manifest.training["data"]["extra_rows"];
    assert_eq!(recorded["rows"], raw.len());
    assert_eq!(recorded["reference_rows"], t.len());
}

/// The trained parameters (running statistics left out) of a state dict, by name.
fn trained_params(sd: &StateDict) -> Vec<(String, Vec<f32>)> {
    sd.names()
        .filter(|n| !n.contains("running") && !n.contains("num_batches"))
        .map(|n| (n.to_string(), sd.get(n).unwrap().data.clone()))
        .collect()
}

/// EvoAug's two stages: training on augmented sequences, then fine-tuning that starts from the
/// augmented model's exported weights.
#[test]
fn augmented_training_then_fine_tuning_from_its_weights() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (t, v) = sample();
    let augmented = tempfile::tempdir().unwrap();
    let mut c = config(2);
    c.augment =
        Some(Augment::parse("mutation=0.05,insertion=5,deletion=5,translocation=10").unwrap());
    let aug = train::train(c, &t, &v, augmented.path(), false, Device::flex(), &info()).unwrap();
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = train::train(
        config(2),
        &t,
        &v,
        plain_dir.path(),
        false,
        Device::flex(),
        &info(),
    )
    .unwrap();
    // Same seed, same order and dropout: only the augmented inputs differ.
    assert_ne!(aug[0].train_loss, plain[0].train_loss);

    // A fine-tuning epoch at rate 0 moves nothing but the batch-norm running statistics, so its
    // checkpoint holds exactly the augmented model's exported (best-epoch) weights.
    let tuned = tempfile::tempdir().unwrap();
    let mut f = config(1);
    f.init = Some(augmented.path().to_path_buf());
    f.lr = 0.0;
    train::train(f, &t, &v, tuned.path(), false, Device::flex(), &info()).unwrap();
    let exported = StateDict::from_safetensors(
        &std::fs::read(augmented.path().join("model.safetensors")).unwrap(),
    )
    .unwrap();
    let net = Camformer::new(&tiny_arch(), &Device::flex())
        .unwrap()
        .try_load_file(tuned.path().join("checkpoint/model.bpk"))
        .unwrap();
    let started = net.to_state_dict(&tiny_arch(), false).unwrap();
    assert_eq!(trained_params(&exported), trained_params(&started));

    // Weights of another architecture are refused.
    let mut other = config(1);
    other.arch.head = vec![7];
    other.init = Some(augmented.path().to_path_buf());
    let err = train::train(
        other,
        &t,
        &v,
        tempfile::tempdir().unwrap().path(),
        false,
        Device::flex(),
        &info(),
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("another architecture"),
        "{err:#}"
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

#[test]
fn cross_validation_predicts_every_row_from_a_model_that_never_saw_its_group() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (all, _) = Dataset::load(&root().join("tests/data/dream_test_sample.tsv"), true).unwrap();
    let folds = cv::group_folds(&all, 3, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    for fold in 0..3 {
        let out = cross_validation(&all, &folds, dir.path())
            .run_fold(config(1), fold, &info())
            .unwrap();
        assert!(out.iter().all(|r| r.fold == fold && folds[r.row] == fold));
        rows.extend(out);
    }
    let gathered = cv::gather(dir.path(), 3, all.len()).unwrap().unwrap();
    rows.sort_by_key(|r| r.row);
    assert_eq!(gathered, rows, "every row once, as the folds wrote it");
    for r in &gathered {
        assert_eq!(r.measured, all.targets[r.row]);
        assert!(r.prediction.is_finite());
    }
    // A finished fold is read back, not trained again.
    let again = cross_validation(&all, &folds, dir.path())
        .run_fold(config(1), 0, &info())
        .unwrap();
    assert_eq!(
        again,
        rows.into_iter().filter(|r| r.fold == 0).collect::<Vec<_>>()
    );
}

#[test]
fn cross_validation_on_both_strands_writes_the_strand_mean_and_the_forward_strand() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (all, _) = Dataset::load(&root().join("tests/data/dream_test_sample.tsv"), true).unwrap();
    let folds = cv::group_folds(&all, 3, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(1);
    c.reverse_complement = true;
    let rows = cross_validation(&all, &folds, dir.path())
        .run_fold(c, 1, &info())
        .unwrap();
    let fold_dir = cv::fold_dir(dir.path(), 1);
    let forward = cv::read_oof(&fold_dir.join("oof-forward.tsv")).unwrap();
    let held_out: Vec<usize> = rows.iter().map(|r| r.row).collect();
    assert_eq!(forward.iter().map(|r| r.row).collect::<Vec<_>>(), held_out);
    let predictor = model_files::load(&fold_dir, None, Device::flex()).unwrap();
    let test = all.subset(&held_out);
    let both = predict::predict_both_strands(&predictor, &test).unwrap();
    let fwd = predict::predict_dataset(&predictor, &test).unwrap();
    for (i, r) in rows.iter().enumerate() {
        assert!((r.prediction - both[i]).abs() < 1e-6);
        assert!((forward[i].prediction - fwd[i]).abs() < 1e-6);
    }
    assert!(
        rows.iter()
            .zip(&forward)
            .any(|(a, b)| a.prediction != b.prediction)
    );
}

#[test]
fn the_time_limit_stops_before_an_epoch_that_would_not_fit() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (t, v) = sample();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(5);
    // Any step takes longer than a nanosecond: the first epoch starts (a run always leaves a
    // model), ends after its first step, and no second epoch starts.
    cfg.time_limit_s = Some(1e-9);
    let history = train::train(cfg, &t, &v, dir.path(), false, Device::flex(), &info()).unwrap();
    assert_eq!(history.len(), 1);
    assert!(dir.path().join("model.safetensors").exists());
}

#[test]
fn the_benchmark_runs_the_training_step_and_inference() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let data = bench::random_dataset(64, 9);
    assert_eq!(data.len(), 64);
    let config = bench::BenchConfig {
        arch: tiny_arch(),
        batch_size: 16,
        steps: 3,
        warmup: 1,
        loss: Loss::Mse,
        seed: 1,
        backward: Backward::Auto,
        dropout_masks: DropoutMasks::Own,
    };
    let report = bench::throughput(&data, &config, Device::flex()).unwrap();
    assert!(report.seq_per_s > 0.0 && report.mean_loss.is_finite());
    assert_eq!(report.steps * report.batch_size, 48);
    let phases = bench::phases(&data, &config, Device::flex()).unwrap();
    assert!(phases.forward_s > 0.0 && phases.backward_s > 0.0 && phases.optimizer_s > 0.0);
    let inference = bench::inference(&data, &config, Device::flex()).unwrap();
    assert!(inference.predict_seq_per_s > 0.0 && inference.ism_fast_s > 0.0);
}

/// The parameters and running statistics of a model, flattened in module order (the running
/// statistics synchronised: `value()` may lag one update behind).
fn flat_state(model: &Camformer) -> (Vec<f32>, Vec<f32>) {
    let read = |t: burn::tensor::Tensor<1>| t.into_data().try_into_vec::<f32>().unwrap();
    let sd = model.to_state_dict(&tiny_arch(), false).unwrap();
    let params = sd
        .names()
        .filter(|n| !n.contains("running"))
        .flat_map(|n| sd.get(n).unwrap().data.clone())
        .collect();
    let running = model
        .blocks
        .iter()
        .flat_map(|b| {
            let norm = b.norm.as_ref().unwrap();
            let mut v = read(norm.running_mean.value_sync());
            v.extend(read(norm.running_var.value_sync()));
            v
        })
        .collect();
    (params, running)
}

/// One step of each engine from the same model and batch, dropout on (tiny_mini has dropout
/// in every block): both engines draw the same masks from Burn's generator, the gradients reach
/// Burn's optimiser under the right parameter ids and shapes, so AdamW moves every parameter the
/// same way, and the running statistics are blended the same way.
#[test]
fn a_cpu_network_step_updates_the_model_as_an_autodiff_step() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let arch = tiny_arch();
    assert!(arch.blocks.iter().all(|b| b.dropout > 0.1));
    let (t, _) = sample();
    let idx: Vec<usize> = (0..16).collect();
    let base = Device::flex();
    let device = base.clone().autodiff();
    // Two identical models, not clones: clones share their running statistics.
    let fresh = || step::new_model(&arch, &device, 3).unwrap();
    let before = flat_state(&fresh());
    let mut after = Vec::new();
    for backward in [Backward::Autodiff, Backward::CpuNet] {
        let model = fresh();
        let stepper = Stepper::new(backward, &arch, &base, DropoutMasks::Burn, 0).unwrap();
        assert_eq!(
            stepper.name(),
            format!("{backward:?}")
                .to_lowercase()
                .replace("cpunet", "cpu-net")
        );
        let mut optim = step::optimizer(1e-3);
        let batch = batch::HostBatch::new(&arch, &t, &idx);
        let (next, loss) = stepper
            .step(model, &mut optim, Loss::Mse, 1e-2, batch, &device, 0)
            .unwrap();
        let loss = loss.into_scalar::<f32>();
        after.push((flat_state(&next), loss));
    }
    let ((auto, auto_loss), (cpu, cpu_loss)) = (&after[0], &after[1]);
    assert!(
        (auto_loss - cpu_loss).abs() < 1e-5 * auto_loss.abs().max(1.0),
        "{auto_loss} vs {cpu_loss}"
    );
    // AdamW's first step moves each parameter by about lr * sign(gradient) (plus decay): a
    // gradient routed to the wrong parameter, or lost, shows as a move of ~lr.
    let mut moved = 0;
    for ((a, c), b) in auto.0.iter().zip(&cpu.0).zip(&before.0) {
        if (a - b).abs() > 5e-3 {
            moved += 1;
        }
        assert!(
            (a - c).abs() < 1e-3,
            "autodiff moved {b} to {a}, cpu-net to {c}"
        );
    }
    assert!(
        moved > auto.0.len() / 2,
        "{moved} of {} parameters moved",
        auto.0.len()
    );
    for ((a, c), b) in auto.1.iter().zip(&cpu.1).zip(&before.1) {
        assert!(
            (a - c).abs() <= 1e-5 * a.abs().max(1.0),
            "running {b}: {a} vs {c}"
        );
    }
    assert!(
        auto.1
            .iter()
            .zip(&before.1)
            .any(|(a, b)| (a - b).abs() > 1e-3)
    );
}

#[test]
fn the_cpu_network_backward_is_refused_off_the_cpu_only_when_asked_for() {
    // Auto picks the CPU network on the CPU device; asked for by name it is the same.
    let arch = tiny_arch();
    let base = Device::flex();
    assert_eq!(
        Stepper::new(Backward::Auto, &arch, &base, DropoutMasks::Own, 0)
            .unwrap()
            .name(),
        "cpu-net"
    );
    assert_eq!(
        Stepper::new(Backward::Autodiff, &arch, &base, DropoutMasks::Own, 0)
            .unwrap()
            .name(),
        "autodiff"
    );
    // An autodiff device is not the plain CPU device.
    let e = Stepper::new(
        Backward::CpuNet,
        &arch,
        &base.clone().autodiff(),
        DropoutMasks::Own,
        0,
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("CPU device only"), "{e}");
    assert_eq!(
        Stepper::new(
            Backward::Auto,
            &arch,
            &base.autodiff(),
            DropoutMasks::Own,
            0
        )
        .unwrap()
        .name(),
        "autodiff"
    );
}

/// Distillation's labels: the teachers' mean prediction (blended with the measured value for
/// training rows), and neighbours that are mutants of training rows labelled by the teachers.
#[test]
fn distillation_labels_rows_and_neighbours_with_the_teachers_mean() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (t, v) = sample();
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    train::train(
        config(1),
        &t,
        &v,
        one.path(),
        false,
        Device::flex(),
        &info(),
    )
    .unwrap();
    let mut c = config(1);
    c.seed = 6;
    train::train(c, &t, &v, two.path(), false, Device::flex(), &info()).unwrap();
    let dirs = [one.path().to_path_buf(), two.path().to_path_buf()];
    let device = Device::flex();
    let teachers = Teachers::load(&dirs, &device).unwrap();
    assert_eq!(teachers.len(), 2);
    let p1 = predict::predict_dataset(
        &model_files::load(&dirs[0], None, device.clone()).unwrap(),
        &t,
    )
    .unwrap();
    let p2 = predict::predict_dataset(
        &model_files::load(&dirs[1], None, device.clone()).unwrap(),
        &t,
    )
    .unwrap();
    assert!(
        p1.iter().zip(&p2).any(|(a, b)| a != b),
        "two different teachers"
    );
    let mean: Vec<f32> = p1.iter().zip(&p2).map(|(a, b)| 0.5 * (a + b)).collect();
    let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5);
    assert!(close(&teachers.predict(&t).unwrap(), &mean));
    assert!(close(
        &distill::relabel(&t, &teachers, 1.0).unwrap().targets,
        &mean
    ));
    assert_eq!(
        distill::relabel(&t, &teachers, 0.0).unwrap().targets,
        t.targets
    );
    let half: Vec<f32> = mean
        .iter()
        .zip(&t.targets)
        .map(|(p, m)| 0.5 * (p + m))
        .collect();
    assert!(close(
        &distill::relabel(&t, &teachers, 0.5).unwrap().targets,
        &half
    ));

    let mut rng = camformer_training::data::Rng(9);
    let n = distill::neighbours(&t, &teachers, 50, 2, &mut rng).unwrap();
    assert_eq!(n.len(), 50);
    assert!(close(&n.targets, &teachers.predict(&n).unwrap()));
    for s in &n.seqs {
        let m = s.unpack();
        let nearest = t
            .seqs
            .iter()
            .map(|p| {
                let c = p.unpack();
                c.bases()
                    .iter()
                    .zip(m.bases())
                    .filter(|(a, b)| a != b)
                    .count()
            })
            .min()
            .unwrap();
        assert!(
            (1..=2).contains(&nearest),
            "a neighbour is a single or double mutant"
        );
    }
    assert!(n.groups.iter().all(Option::is_none) && n.idx.iter().all(Option::is_none));

    // A distilled run trains on the rows and the neighbours, and resumes to the same result
    // (the neighbours are drawn again, from the epoch's seed).
    let distilled = |epochs| {
        let mut c = config(epochs);
        c.distill = Some(Distill {
            teachers: dirs.to_vec(),
            neighbours: 0.5,
            max_mutations: 2,
            teacher_weight: 1.0,
        });
        c
    };
    let straight = tempfile::tempdir().unwrap();
    let a = train::train(
        distilled(2),
        &t,
        &v,
        straight.path(),
        false,
        device.clone(),
        &info(),
    )
    .unwrap();
    let resumed = tempfile::tempdir().unwrap();
    train::train(
        distilled(1),
        &t,
        &v,
        resumed.path(),
        false,
        device.clone(),
        &info(),
    )
    .unwrap();
    let b = train::train(
        distilled(2),
        &t,
        &v,
        resumed.path(),
        true,
        device.clone(),
        &info(),
    )
    .unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.train_loss, y.train_loss, "{a:?}\n{b:?}");
    }
    assert_eq!(
        checkpoint_weights(straight.path()),
        checkpoint_weights(resumed.path())
    );
    // Distillation changes what is learnt: another loss than the measured values' run.
    let plain = tempfile::tempdir().unwrap();
    let p = train::train(
        config(2),
        &t,
        &v,
        plain.path(),
        false,
        device.clone(),
        &info(),
    )
    .unwrap();
    assert_ne!(a[0].train_loss, p[0].train_loss);
    // The manifest records the teachers.
    let manifest = std::fs::read_to_string(straight.path().join("manifest.json")).unwrap();
    assert!(manifest.contains("\"teacher_weight\""), "{manifest}");

    // A teacher that is not a model is a named error.
    let mut bad = distilled(1);
    bad.distill.as_mut().unwrap().teachers = vec![straight.path().join("nothing")];
    let err = train::train(
        bad,
        &t,
        &v,
        tempfile::tempdir().unwrap().path(),
        false,
        device,
        &info(),
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("teacher"), "{err:#}");
}

/// In a cross-validation, fold K learns from fold K of the teacher runs.
#[test]
fn cross_validation_distils_each_fold_from_the_same_fold_of_the_teachers() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (all, _) = Dataset::load(&root().join("tests/data/dream_test_sample.tsv"), true).unwrap();
    let folds = cv::group_folds(&all, 3, 1).unwrap();
    let teacher = tempfile::tempdir().unwrap();
    cross_validation(&all, &folds, teacher.path())
        .run_fold(config(1), 1, &info())
        .unwrap();
    let mut c = config(1);
    c.distill = Some(Distill {
        teachers: vec![teacher.path().to_path_buf()],
        neighbours: 1.0,
        max_mutations: 1,
        teacher_weight: 0.5,
    });
    let student = tempfile::tempdir().unwrap();
    let rows = cross_validation(&all, &folds, student.path())
        .run_fold(c.clone(), 1, &info())
        .unwrap();
    assert!(rows.iter().all(|r| r.fold == 1));
    let manifest =
        std::fs::read_to_string(cv::fold_dir(student.path(), 1).join("manifest.json")).unwrap();
    let fold_teacher = cv::fold_dir(teacher.path(), 1);
    assert!(
        manifest.contains(&format!("{:?}", fold_teacher.display().to_string())),
        "{manifest}"
    );
    // Fold 0 of the teacher run was never trained: fold 0 cannot be distilled from it.
    let err = cross_validation(&all, &folds, student.path())
        .run_fold(c, 0, &info())
        .unwrap_err();
    assert!(
        format!("{err:#}").contains(&cv::fold_dir(teacher.path(), 0).display().to_string()),
        "{err:#}"
    );
}
