//! Weight files: round trips, f16 storage, manifests, and clear errors for wrong weights.

use burn::tensor::Device;
use camformer::engine::files::detect_arch;
use camformer::model::manifest::{Manifest, OutputInfo, WeightsInfo, sha256_hex};
use camformer::model::weights::{BatchNormMode, StateDict, StorageDtype};
use camformer::{ArchConfig, Camformer, Error, Predictor};

use super::common::fixture;

#[test]
fn state_dict_round_trips_through_the_model_and_safetensors() {
    let f = fixture("tiny_original");
    let state = f.state_dict();
    let device = Device::flex();
    let net =
        Camformer::from_state_dict(&f.architecture, &state, BatchNormMode::Keep, &device).unwrap();
    let back = net.to_state_dict(&f.architecture, true).unwrap();
    assert_eq!(back, state);
    let bytes = back.to_safetensors(StorageDtype::F32).unwrap();
    assert_eq!(StateDict::from_safetensors(&bytes).unwrap(), state);
}

#[test]
fn f16_storage_halves_size_and_stays_close() {
    let f = fixture("mini");
    let state = f.state_dict();
    let f32_bytes = state.to_safetensors(StorageDtype::F32).unwrap();
    let f16_bytes = state.to_safetensors(StorageDtype::F16).unwrap();
    assert!(
        f16_bytes.len() * 10 < f32_bytes.len() * 6,
        "{} vs {}",
        f16_bytes.len(),
        f32_bytes.len()
    );
    let constructs: Vec<_> = f
        .cases
        .iter()
        .map(|c| camformer::input::sequence::prepare(&c.input).unwrap().0)
        .collect();
    let device = Device::flex();
    let a = Predictor::from_weights(ArchConfig::mini(), &f32_bytes, device.clone()).unwrap();
    let b = Predictor::from_weights(ArchConfig::mini(), &f16_bytes, device).unwrap();
    let (pa, pb) = (
        a.predict(&constructs).unwrap(),
        b.predict(&constructs).unwrap(),
    );
    let scale = f.scale() as f32;
    for (x, y) in pa.iter().zip(&pb) {
        assert!((x - y).abs() < 5e-3 * scale, "{x} vs {y}");
    }
}

#[test]
fn architecture_is_detected_from_tensor_shapes() {
    assert_eq!(
        detect_arch(&fixture("mini").state_dict()).unwrap(),
        ArchConfig::mini()
    );
    assert_eq!(
        detect_arch(&fixture("original").state_dict()).unwrap(),
        ArchConfig::original()
    );
    assert!(detect_arch(&fixture("tiny_mini").state_dict()).is_err());
}

#[test]
fn wrong_weights_are_named_in_errors() {
    let device = Device::flex();
    let tiny = fixture("tiny_mini").state_dict();
    let err = Camformer::from_state_dict(&ArchConfig::mini(), &tiny, BatchNormMode::Fold, &device)
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("CNN_layers.0.0.weight") && msg.contains("[12, 5, 5, 1]"),
        "{msg}"
    );

    let mut extra = fixture("tiny_mini").state_dict();
    extra.insert(
        "stray.weight",
        camformer::model::weights::HostTensor::new(vec![1], vec![0.0]),
    );
    let arch = fixture("tiny_mini").architecture;
    let err = Camformer::from_state_dict(&arch, &extra, BatchNormMode::Fold, &device).unwrap_err();
    assert!(
        err.to_string().contains("unexpected tensor 'stray.weight'"),
        "{err}"
    );

    assert!(matches!(
        StateDict::from_safetensors(b"not a file"),
        Err(Error::Weights(_))
    ));
}

#[test]
fn manifest_checks_the_weights_it_describes() {
    let f = fixture("tiny_mini");
    let bytes = f.state_dict().to_safetensors(StorageDtype::F32).unwrap();
    let manifest = Manifest {
        format_version: camformer::model::manifest::FORMAT_VERSION,
        name: "tiny".into(),
        description: "test".into(),
        architecture: f.architecture.clone(),
        weights: WeightsInfo {
            file: "model.safetensors".into(),
            sha256: sha256_hex(&bytes),
            dtype: StorageDtype::F32,
            parameters: f.parameters,
        },
        output: OutputInfo {
            units: "arbitrary".into(),
            description: "test".into(),
        },
        training: serde_json::Value::Null,
        metrics: serde_json::Value::Null,
    };
    let parsed = Manifest::from_json(manifest.to_json().as_bytes()).unwrap();
    assert_eq!(parsed, manifest);
    let device = Device::flex();
    assert!(Predictor::from_manifest(parsed.clone(), &bytes, device.clone()).is_ok());
    let mut tampered = bytes.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let err = Predictor::from_manifest(parsed, &tampered, device).unwrap_err();
    assert!(
        err.to_string().contains("do not match the manifest"),
        "{err}"
    );

    let mut v2 = serde_json::to_value(&manifest).unwrap();
    v2["format_version"] = 99.into();
    let err = Manifest::from_json(v2.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("format version 99"), "{err}");
}
