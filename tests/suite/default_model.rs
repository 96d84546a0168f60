//! The shipped default model decodes into its architecture and reproduces its known outputs
//! (`tests/data/default_model/`, written by `scripts/default_model_fixture.sh`), so stale or
//! corrupted weights fail loudly.

use camformer::analysis::ism;
use camformer::engine::mutations::{Method, Positions};
use camformer::input::records::parse_all;
use camformer::model::default_model;
use camformer::{Backend, Predictor};

use super::common::data;

fn read(path: &str) -> String {
    std::fs::read_to_string(data(path)).unwrap()
}

#[test]
fn manifest_describes_the_shipped_weights() {
    let manifest = default_model::manifest().unwrap();
    manifest.verify(default_model::WEIGHTS).unwrap();
    assert_eq!(
        manifest.weights.parameters,
        manifest.architecture.parameter_count().unwrap()
    );
    assert_eq!(
        read("default_model/weights.sha256").trim(),
        manifest.weights.sha256,
        "the known outputs were made with other weights: run scripts/default_model_fixture.sh"
    );
}

#[test]
fn predictions_equal_the_known_outputs() {
    let p = Predictor::default_model(Backend::Cpu.device().unwrap()).unwrap();
    let (good, bad) = parse_all(&read("default_model/inputs.fa"));
    assert!(bad.is_empty());
    let got = p
        .predict(&good.iter().map(|g| g.construct).collect::<Vec<_>>())
        .unwrap();
    let expected: Vec<(String, f32)> = read("default_model/predictions.tsv")
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[2].parse().unwrap())
        })
        .collect();
    assert_eq!(expected.len(), got.len());
    for ((name, want), (g, have)) in expected.iter().zip(good.iter().zip(&got)) {
        assert_eq!(name, &g.record.name);
        assert!((want - have).abs() < 1e-5, "{name}: {have} vs known {want}");
    }
}

#[test]
fn fast_ism_equals_the_known_naive_ism() {
    let p = Predictor::default_model(Backend::Cpu.device().unwrap()).unwrap();
    let (good, _) = parse_all(&read("default_model/ism_input.fa"));
    let result = ism::run(
        &p,
        &good[0].construct,
        Positions::RandomRegion,
        Method::Fast,
    )
    .unwrap();
    let known: Vec<f32> = read("default_model/ism.tsv")
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(4).unwrap().parse().unwrap())
        .collect();
    assert_eq!(known.len(), result.effects.len());
    for ((m, d), k) in result.effects.iter().zip(&known) {
        assert!(
            (d - k).abs() < 1e-4,
            "position {}: {d} vs {k}",
            m.position + 1
        );
    }
}
