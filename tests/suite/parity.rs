//! Parity with the PyTorch reference (`tests/reference/camformer_reference.py`): outputs within
//! 1e-4 of the output scale, for both published architectures at full size and for small family
//! members loaded from the safetensors files PyTorch wrote. Every path is checked: the CPU
//! inference network (`cpu_net`), the Burn module with batch norm folded, and unfolded.

use burn::tensor::Device;
use camformer::model::weights::{BatchNormMode, StateDict};
use camformer::{ArchConfig, Camformer, Construct, Predictor};

use super::common::{Fixture, data, fixture};

const TOLERANCE: f64 = 1e-4;

fn constructs(f: &Fixture) -> Vec<Construct> {
    f.cases
        .iter()
        .map(|c| {
            let (construct, _) = camformer::input::sequence::prepare(&c.input).unwrap();
            assert_eq!(construct.as_str(), c.construct, "input {}", c.input);
            construct
        })
        .collect()
}

fn assert_close(f: &Fixture, got: &[f32], what: &str) {
    assert_eq!(got.len(), f.cases.len(), "{what}: one prediction per input");
    let scale = f.scale();
    for (case, &g) in f.cases.iter().zip(got) {
        let err = (g as f64 - case.expected).abs();
        assert!(
            err <= TOLERANCE * scale,
            "{what}: {} vs reference {} (error {err:.2e}, allowed {:.2e}) for input {}",
            g,
            case.expected,
            TOLERANCE * scale,
            case.input
        );
    }
}

/// The CPU backends under test: flex, and ndarray when built with `--features ndarray`.
fn devices() -> Vec<(&'static str, Device)> {
    vec![
        ("flex", Device::flex()),
        #[cfg(feature = "ndarray")]
        ("ndarray", camformer::Backend::NdArray.device().unwrap()),
    ]
}

fn check(name: &str, state: StateDict) {
    for (backend, device) in devices() {
        check_on(&format!("{name} on {backend}"), name, &state, device);
    }
}

fn check_on(what: &str, name: &str, state: &StateDict, device: Device) {
    let f = fixture(name);
    assert_eq!(f.architecture.parameter_count().unwrap(), f.parameters);
    let inputs = constructs(&f);
    // Folded batch norm (what the predictor uses): on flex, the CPU inference network ...
    let bytes = state.to_safetensors(Default::default()).unwrap();
    let predictor =
        Predictor::from_weights(f.architecture.clone(), &bytes, device.clone()).unwrap();
    assert_eq!(
        predictor.cpu_net().is_some(),
        device == Device::flex(),
        "{what}: the CPU network runs exactly on flex"
    );
    assert_close(
        &f,
        &predictor.predict(&inputs).unwrap(),
        &format!("{what}, folded"),
    );
    // ... the Burn module with the same folded weights ...
    assert_close(
        &f,
        &predictor.without_cpu_net().predict(&inputs).unwrap(),
        &format!("{what}, folded, Burn module"),
    );
    // ... and batch norm kept as layers (what training uses).
    let net =
        Camformer::from_state_dict(&f.architecture, state, BatchNormMode::Keep, &device).unwrap();
    let kept = Predictor::from_model(f.architecture.clone(), net, device);
    assert_close(
        &f,
        &kept.predict(&inputs).unwrap(),
        &format!("{what}, unfolded"),
    );
}

#[test]
fn original_full_size_matches_pytorch() {
    let f = fixture("original");
    assert_eq!(f.architecture, ArchConfig::original());
    assert!(f.conv_wrapped);
    check("original", f.state_dict());
}

#[test]
fn mini_full_size_matches_pytorch() {
    let f = fixture("mini");
    assert_eq!(f.architecture, ArchConfig::mini());
    assert!(!f.conv_wrapped);
    check("mini", f.state_dict());
}

#[test]
fn small_family_members_load_from_pytorch_safetensors() {
    for name in ["tiny_original", "tiny_mini"] {
        let bytes = std::fs::read(data(&format!("parity/{name}.safetensors"))).unwrap();
        let state = StateDict::from_safetensors(&bytes).unwrap();
        // The file PyTorch wrote holds exactly the values the generator makes.
        assert_eq!(state, fixture(name).state_dict(), "{name}");
        check(name, state);
    }
}

#[test]
fn published_parameter_counts() {
    assert_eq!(
        ArchConfig::original().parameter_count().unwrap(),
        16_611_073
    );
    assert_eq!(ArchConfig::mini().parameter_count().unwrap(), 1_446_721);
    assert_eq!(
        ArchConfig::original().lengths().unwrap(),
        vec![110, 110, 110, 110, 26, 26]
    );
    assert_eq!(
        ArchConfig::mini().lengths().unwrap(),
        vec![116, 121, 126, 63, 69, 76]
    );
    // Burn's own count of the built module agrees once the batch-norm running statistics,
    // which Burn counts and PyTorch does not, are taken out.
    let device = Device::flex();
    for config in [ArchConfig::original(), ArchConfig::mini()] {
        use burn::module::Module;
        let net = Camformer::new(&config, &device).unwrap();
        let running: usize = config.blocks.iter().map(|b| 2 * b.channels).sum();
        assert_eq!(
            net.num_params() - running,
            config.parameter_count().unwrap(),
            "{}",
            config.name
        );
    }
}

#[test]
fn architecture_files_match_presets() {
    for config in [ArchConfig::original(), ArchConfig::mini()] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("models/architectures/{}.json", config.name));
        let text = std::fs::read_to_string(&path).unwrap();
        let from_file: ArchConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(from_file, config, "{}", path.display());
    }
}
