//! Attributions: the autodiff input gradient against central finite differences of the
//! predictor, Grad-CAM against the PyTorch reference of the authors' procedure
//! (`tests/reference/attribution_reference.py`), and the `camformer attribute` command.

use std::future::Future;
use std::process::Command;
use std::task::{Context, Poll, Waker};

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{DType, Device, FloatDType, Tensor, TensorData};
use camformer::analysis::attribution::{Attributions, Attributor, Method, resample_linear};
use camformer::input::sequence::CONSTRUCT_LEN;
use camformer::{Construct, Predictor};
use serde::Deserialize;

use super::common::{data, fixture};

fn construct(seq: &str) -> Construct {
    camformer::input::sequence::prepare(seq).unwrap().0
}

/// Predictor (batch norm folded, as users load models) and attributor (batch norm kept) of a
/// parity fixture's deterministic weights.
fn models(name: &str) -> (Predictor, Attributor) {
    let f = fixture(name);
    let state = f.state_dict();
    let bytes = state.to_safetensors(Default::default()).unwrap();
    let predictor =
        Predictor::from_weights(f.architecture.clone(), &bytes, Device::flex()).unwrap();
    let attributor = Attributor::from_state_dict(f.architecture, &state, Device::flex()).unwrap();
    (predictor, attributor)
}

/// Casts every parameter of a module to f64.
struct ToF64;

impl ModuleMapper for ToF64 {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|t| t.cast(FloatDType::F64))
    }
}

/// Step of the central differences: small enough that no ReLU or max-pool switch lies within
/// it (they lie a few 1e-3 apart along one input coordinate of the small models), large
/// enough that f64 rounding (about 1e-16 of the output) stays far below the tolerance.
const FD_STEP: f64 = 1e-7;

/// Central finite differences of the predictor's network (batch norm folded, as users load
/// models: a code path independent of the attribution module) with respect to the encoded
/// input at each `(channel, position)` of `cells`, evaluated in f64 with the same weights.
///
/// Why f64: the network is piecewise linear with kinks a few 1e-3 apart along an input
/// coordinate, so a step large enough to beat f32 rounding (which limits an f32 difference
/// quotient to about 1e-3 of the gradient) crosses kinks; f64 allows a step far below them.
fn finite_differences(predictor: &Predictor, c: &Construct, cells: &[(usize, usize)]) -> Vec<f64> {
    let net = predictor.net().clone().map(&mut ToF64);
    let enc = predictor.config().encoding;
    let width = enc.channels() * CONSTRUCT_LEN;
    let base: Vec<f64> = enc.encode_batch([c]).into_iter().map(f64::from).collect();
    let mut inputs = Vec::with_capacity(2 * cells.len() * width);
    for &(ch, p) in cells {
        for sign in [1.0, -1.0] {
            let mut x = base.clone();
            x[ch * CONSTRUCT_LEN + p] += sign * FD_STEP;
            inputs.extend(x);
        }
    }
    let mut outputs = Vec::with_capacity(2 * cells.len());
    for chunk in inputs.chunks(64 * width) {
        let t = Tensor::<3>::from_data(
            TensorData::new(
                chunk.to_vec(),
                [chunk.len() / width, enc.channels(), CONSTRUCT_LEN],
            ),
            (predictor.device(), DType::F64),
        );
        assert_eq!(t.dtype(), DType::F64);
        outputs.extend(net.forward(t).into_data().try_into_vec::<f64>().unwrap());
    }
    outputs
        .chunks(2)
        .map(|y| (y[0] - y[1]) / (2.0 * FD_STEP))
        .collect()
}

/// Max |autodiff - finite difference| over `cells`, and the largest |gradient| there.
fn gradient_error(
    predictor: &Predictor,
    gradient: &[f32],
    c: &Construct,
    cells: &[(usize, usize)],
) -> (f64, f64) {
    let fd = finite_differences(predictor, c, cells);
    let mut worst = (0.0f64, 0.0f64);
    for (&(ch, p), fd) in cells.iter().zip(fd) {
        let g = gradient[ch * CONSTRUCT_LEN + p] as f64;
        worst.0 = worst.0.max((g - fd).abs());
        worst.1 = worst.1.max(g.abs());
    }
    worst
}

/// Deterministic pseudo-random 80-bp regions in the constant flanks, one with two `N`. Random
/// rather than real constructs because real ones often hold long repeats (the first test
/// construct has a 23-bp poly-A run) whose identical windows tie exactly in max pooling,
/// where the prediction has no derivative: a central difference then averages the two
/// one-sided slopes while backpropagation (Burn's as PyTorch's) passes the gradient to one
/// tied window, and no step size makes them agree. Those ties are compared with PyTorch's
/// choice instead, in the Grad-CAM tests.
fn random_constructs(n: usize) -> Vec<Construct> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|k| {
            let mut region: Vec<u8> = (0..80)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    b"ACGT"[(state >> 32) as usize % 4]
                })
                .collect();
            if k == 1 {
                region[10] = b'N';
                region[61] = b'N';
            }
            construct(std::str::from_utf8(&region).unwrap())
        })
        .collect()
}

fn all_cells(channels: usize) -> Vec<(usize, usize)> {
    (0..channels)
        .flat_map(|ch| (0..CONSTRUCT_LEN).map(move |p| (ch, p)))
        .collect()
}

// What is left is the f32 rounding of the autodiff gradient itself (measured: at most 2e-7
// of the largest gradient); 1e-5 of it allows for that and catches any wrong channel,
// position, sign or missing term.
const FD_TOLERANCE: f64 = 1e-5;

#[test]
fn input_gradient_equals_finite_differences_on_small_models() {
    for name in ["tiny_mini", "tiny_original"] {
        let f = fixture(name);
        let (predictor, attributor) = models(name);
        let folded = Attributor::from_predictor(&predictor);
        let cells = all_cells(f.architecture.encoding.channels());
        for c in random_constructs(3) {
            for (which, a) in [("batch norm kept", &attributor), ("folded", &folded)] {
                let result = a.gradient_x_input(&[c]).unwrap();
                let (err, scale) = gradient_error(&predictor, &result.gradient, &c, &cells);
                eprintln!(
                    "{name} ({which}): max |autodiff - FD| = {err:.2e} (max |grad| {scale:.2e})"
                );
                assert!(
                    err <= FD_TOLERANCE * scale.max(1e-3),
                    "{name} ({which}), {}: autodiff vs finite differences {err:.2e}, gradients up to {scale:.2e}",
                    c.as_str()
                );
            }
        }
    }
}

#[test]
fn input_gradient_equals_finite_differences_on_full_size_mini() {
    let (predictor, attributor) = models("mini");
    // Flanks, random region and both ends; all five channels (A, C, G, T, purine flag).
    let cells: Vec<(usize, usize)> = [0, 9, 17, 40, 57, 80, 96, 109]
        .into_iter()
        .flat_map(|p| (0..5).map(move |ch| (ch, p)))
        .collect();
    for c in random_constructs(2) {
        let result = attributor.gradient_x_input(&[c]).unwrap();
        let (err, scale) = gradient_error(&predictor, &result.gradient, &c, &cells);
        eprintln!("mini: max |autodiff - FD| = {err:.2e} (max |grad| {scale:.2e})");
        assert!(
            err <= FD_TOLERANCE * scale.max(1e-3),
            "mini: {err:.2e} vs gradients up to {scale:.2e}"
        );
    }
}

#[test]
fn gradient_x_input_is_input_times_gradient_and_predictions_match() {
    for name in ["tiny_mini", "tiny_original"] {
        let f = fixture(name);
        let (predictor, attributor) = models(name);
        let constructs: Vec<Construct> = f.cases.iter().map(|c| construct(&c.construct)).collect();
        let predicted = predictor.predict(&constructs).unwrap();
        // A batch size that splits the input, so batching is exercised too.
        let result = attributor
            .with_batch_size(7)
            .gradient_x_input(&constructs)
            .unwrap();
        assert_eq!(result.len(), constructs.len());
        let enc = f.architecture.encoding;
        for (i, c) in constructs.iter().enumerate() {
            assert!((result.predictions[i] - predicted[i]).abs() <= 1e-5 * f.scale() as f32);
            let x = enc.encode_batch([c]);
            let g = result.sequence_gradient(i);
            for (k, v) in result.sequence(i).iter().enumerate() {
                assert_eq!(*v, x[k] * g[k]);
            }
            let per_position = result.per_position(i);
            for (p, &score) in per_position.iter().enumerate() {
                let sum: f32 = (0..result.channels).map(|ch| result.value(i, ch, p)).sum();
                assert!((score - sum).abs() <= 1e-6 * sum.abs().max(1.0));
                // One-hot: only the base present contributes.
                if name == "tiny_original" {
                    for (ch, &base) in b"ACGT".iter().enumerate() {
                        if base != c.bases()[p] {
                            assert_eq!(result.value(i, ch, p), 0.0);
                        }
                    }
                }
            }
        }
        assert!(result.scale.iter().all(|&s| s == 1.0));
    }
}

#[derive(Deserialize)]
struct CamFixture {
    models: Vec<CamModel>,
}

#[derive(Deserialize)]
struct CamModel {
    fixture: String,
    cases: Vec<CamCase>,
}

#[derive(Deserialize)]
struct CamCase {
    construct: String,
    prediction: f64,
    gradient: Vec<Vec<f64>>,
    layers: Vec<CamLayer>,
}

#[derive(Deserialize)]
struct CamLayer {
    layer: usize,
    length: usize,
    authors_code_defined: bool,
    activation: Vec<f64>,
    max: f64,
    grad_cam: Option<Vec<Vec<f64>>>,
}

fn max_abs_diff(a: impl IntoIterator<Item = f64>, b: impl IntoIterator<Item = f64>) -> f64 {
    a.into_iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn max_abs(a: impl IntoIterator<Item = f64>) -> f64 {
    a.into_iter().map(f64::abs).fold(0.0, f64::max)
}

/// Compares Grad-CAM of every block with the PyTorch reference; returns the largest error of
/// the normalised maps (they lie in [-1, 1] up to sign).
fn check_grad_cam(name: &str, tolerance: f64) -> f64 {
    let text = std::fs::read_to_string(data("parity/attribution_gradcam.json")).unwrap();
    let fixture_file: CamFixture = serde_json::from_str(&text).unwrap();
    let model = fixture_file
        .models
        .iter()
        .find(|m| m.fixture == name)
        .unwrap();
    let (_, attributor) = models(name);
    let blocks = attributor.config().blocks.len();
    let mut worst = 0.0f64;
    for case in &model.cases {
        let c = construct(&case.construct);
        assert_eq!(case.layers.len(), blocks);
        let ref_grad: Vec<f64> = case.gradient.iter().flatten().copied().collect();
        for l in &case.layers {
            let r: Attributions = attributor.grad_cam(&[c], l.layer).unwrap();
            assert_eq!(r.method, Method::GradCam { layer: l.layer });
            let what = format!(
                "{name} block {} (length {}, authors' code defines it: {})",
                l.layer, l.length, l.authors_code_defined
            );
            assert!(
                (r.predictions[0] as f64 - case.prediction).abs()
                    <= 1e-4 * case.prediction.abs().max(1.0),
                "{what}: prediction"
            );
            let grad_err = max_abs_diff(
                r.gradient.iter().map(|&v| v as f64),
                ref_grad.iter().copied(),
            );
            assert!(
                grad_err <= tolerance * max_abs(ref_grad.iter().copied()),
                "{what}: gradient {grad_err:.2e}"
            );
            let act_err = max_abs_diff(
                r.activation.iter().map(|&v| v as f64),
                l.activation.iter().copied(),
            );
            assert!(
                act_err <= tolerance * max_abs(l.activation.iter().copied()).max(1e-3),
                "{what}: activation {act_err:.2e}"
            );
            assert!(
                (r.scale[0] as f64 - l.max).abs() <= tolerance * l.max,
                "{what}: scale {} vs {}",
                r.scale[0],
                l.max
            );
            // The reference map: activation x gradient / max, as the authors form it.
            let reference: Vec<f64> = case
                .gradient
                .iter()
                .flat_map(|row| row.iter().zip(&l.activation).map(|(g, a)| g * a / l.max))
                .collect();
            let err = max_abs_diff(
                r.values.iter().map(|&v| v as f64),
                reference.iter().copied(),
            );
            worst = worst.max(err);
            assert!(
                err <= tolerance,
                "{what}: Grad-CAM map differs by {err:.2e}"
            );
            if let Some(map) = &l.grad_cam {
                // The map exactly as PyTorch computed it (interpolate, then channel mean).
                let direct = max_abs_diff(
                    r.values.iter().map(|&v| v as f64),
                    map.iter().flatten().copied(),
                );
                assert!(
                    direct <= tolerance,
                    "{what}: Grad-CAM map differs by {direct:.2e}"
                );
                let max = r.values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                assert_eq!(max, 1.0, "{what}: normalised to a maximum of 1");
            }
        }
    }
    eprintln!("{name}: max |Grad-CAM - PyTorch reference| = {worst:.2e}");
    worst
}

#[test]
fn grad_cam_equals_the_pytorch_reference_on_small_models() {
    check_grad_cam("tiny_original", 2e-5);
    check_grad_cam("tiny_mini", 2e-5);
}

#[test]
fn grad_cam_equals_the_pytorch_reference_on_full_size_models() {
    check_grad_cam("mini", 2e-5);
    check_grad_cam("original", 2e-5);
}

#[test]
fn grad_cam_needs_unfolded_batch_norm_and_an_existing_block() {
    let (predictor, attributor) = models("tiny_mini");
    let c = construct(&fixture("tiny_mini").cases[0].construct);
    let folded = Attributor::from_predictor(&predictor);
    assert!(!folded.supports_grad_cam());
    assert!(attributor.supports_grad_cam());
    let err = folded.grad_cam(&[c], 5).unwrap_err().to_string();
    assert!(err.contains("batch norm folded"), "{err}");
    let err = attributor.grad_cam(&[c], 6).unwrap_err().to_string();
    assert_eq!(
        err,
        "Grad-CAM layer 6 does not exist: the model has 6 convolution blocks, numbered 0 to 5"
    );
    assert!(attributor.grad_cam(&[], 5).unwrap().is_empty());
}

/// Drives a future to completion on this thread (the CPU backend's read-back is ready at once).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

#[test]
fn async_read_back_gives_the_same_results() {
    let (_, attributor) = models("tiny_original");
    let constructs: Vec<Construct> = fixture("tiny_original")
        .cases
        .iter()
        .map(|c| construct(&c.construct))
        .collect();
    for method in [Method::GradientXInput, Method::GradCam { layer: 3 }] {
        let sync = attributor.attribute(&constructs, method).unwrap();
        let asynchronous = block_on(attributor.attribute_async(&constructs, method)).unwrap();
        assert_eq!(sync, asynchronous);
    }
}

#[test]
fn resampling_is_pytorch_bilinear_without_corner_alignment() {
    // F.interpolate(torch.tensor([0., 1, 2, 3]).view(1, 1, 4, 1), size=(8, 1), mode="bilinear"),
    // by hand: source (i + .5) / 2 - .5, clamped at 0, the last value repeated.
    let up = resample_linear(&[0.0, 1.0, 2.0, 3.0], 8);
    assert_eq!(up, [0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]);
    // Shrinking 8 -> 4: sources 0.5, 2.5, 4.5, 6.5.
    let down = resample_linear(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 4);
    assert_eq!(down, [0.5, 2.5, 4.5, 6.5]);
    assert_eq!(resample_linear(&[1.0, 2.0], 2), [1.0, 2.0]);
}

fn camformer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_camformer"))
}

#[test]
fn attribute_command_writes_every_position_and_reports_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("tiny_mini");
    let arch = dir.path().join("arch.json");
    std::fs::write(&arch, serde_json::to_string(&f.architecture).unwrap()).unwrap();
    let weights = data("parity/tiny_mini.safetensors");
    let input = dir.path().join("in.fa");
    let good = [&f.cases[0].construct, &f.cases[14].construct];
    std::fs::write(
        &input,
        format!(">one\n{}\n>bad\nACGTXACGT\n>two\n{}\n", good[0], good[1]),
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let out = camformer()
            .arg("attribute")
            .arg("--weights")
            .arg(&weights)
            .arg("--arch")
            .arg(&arch)
            .arg("--input")
            .arg(&input)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let attributor = Attributor::from_weights(
        f.architecture.clone(),
        &std::fs::read(&weights).unwrap(),
        Device::flex(),
    )
    .unwrap();
    let constructs = [construct(good[0]), construct(good[1])];

    // Long form, Grad-CAM of the last block by default.
    let (stdout, stderr) = run(&[]);
    assert!(
        stderr.contains("rejected: record 2 'bad' (line 3): invalid base 'X' at position 5"),
        "{stderr}"
    );
    let rows: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows[0], ["name", "position", "base", "attribution"]);
    assert_eq!(rows.len(), 1 + 2 * CONSTRUCT_LEN * 5);
    let expected = attributor.grad_cam(&constructs, 5).unwrap();
    let labels = ["A", "C", "G", "T", "purine"];
    for (k, row) in rows[1..].iter().enumerate() {
        let (seq, rest) = (k / (CONSTRUCT_LEN * 5), k % (CONSTRUCT_LEN * 5));
        let (pos, ch) = (rest / 5, rest % 5);
        assert_eq!(row[0], ["one", "two"][seq]);
        assert_eq!(row[1], (pos + 1).to_string());
        assert_eq!(row[2], labels[ch]);
        let v: f32 = row[3].parse().unwrap();
        assert_eq!(v, expected.value(seq, ch, pos), "{row:?}");
    }

    // Per position, gradient x input.
    let (stdout, _) = run(&["--method", "grad-x-input", "--per-position"]);
    let rows: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows[0], ["name", "position", "reference", "attribution"]);
    assert_eq!(rows.len(), 1 + 2 * CONSTRUCT_LEN);
    let expected = attributor.gradient_x_input(&constructs).unwrap();
    for (k, row) in rows[1..].iter().enumerate() {
        let (seq, pos) = (k / CONSTRUCT_LEN, k % CONSTRUCT_LEN);
        assert_eq!(row[2], (constructs[seq].bases()[pos] as char).to_string());
        let v: f32 = row[3].parse().unwrap();
        assert_eq!(v, expected.per_position(seq)[pos]);
    }

    // A block that does not exist is refused.
    let out = camformer()
        .args(["attribute", "--layer", "9", "--arch"])
        .arg(&arch)
        .arg("--weights")
        .arg(&weights)
        .arg("--input")
        .arg(&input)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--layer 9: the model has 6 convolution blocks")
    );
}
