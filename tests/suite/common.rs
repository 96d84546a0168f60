//! Fixture helpers shared by the test modules.

use std::path::{Path, PathBuf};

use camformer::model::weights::{HostTensor, StateDict};
use serde::Deserialize;

/// `tests/data/...`
pub fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

/// One tensor of a parity fixture: name, shape and the range of its deterministic values.
#[derive(Deserialize)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub low: f64,
    pub high: f64,
}

/// One input of a parity fixture and the reference (PyTorch, float64) output.
#[derive(Deserialize)]
pub struct Case {
    pub input: String,
    pub construct: String,
    pub expected: f64,
}

/// A parity fixture written by `tests/reference/camformer_reference.py`.
#[derive(Deserialize)]
pub struct Fixture {
    pub architecture: camformer::ArchConfig,
    pub conv_wrapped: bool,
    pub parameters: usize,
    pub tensors: Vec<TensorSpec>,
    pub cases: Vec<Case>,
}

pub fn fixture(name: &str) -> Fixture {
    let text = std::fs::read_to_string(data(&format!("parity/{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn fnv1a64(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

fn splitmix64(x: u64) -> u64 {
    let x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let z = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Fixture {
    /// The fixture's weights, rebuilt exactly as the reference script made them.
    pub fn state_dict(&self) -> StateDict {
        let mut sd = StateDict::new();
        for t in &self.tensors {
            let n: usize = t.shape.iter().product();
            let seed = fnv1a64(&t.name);
            let data = (0..n as u64)
                .map(|i| {
                    let u = (splitmix64(seed.wrapping_add(i)) >> 11) as f64 * 2f64.powi(-53);
                    (t.low + (t.high - t.low) * u) as f32
                })
                .collect();
            sd.insert(t.name.clone(), HostTensor::new(t.shape.clone(), data));
        }
        sd
    }

    /// Largest absolute expected output: the scale tolerances are relative to.
    pub fn scale(&self) -> f64 {
        self.cases
            .iter()
            .map(|c| c.expected.abs())
            .fold(1.0, f64::max)
    }
}
