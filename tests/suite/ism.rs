//! Fast exact ISM equals naive ISM (every mutant through the whole network), for both published
//! architectures at full size and for the small family members, on random-region and
//! all-position mutagenesis, sequences with `N` included. Both fast paths (the CPU network's and
//! the Burn tensor version) are compared with naive ISM through the Burn module, which shares
//! no code with the CPU network.

use camformer::analysis::ism;
use camformer::engine::mutations::{Ism, Method, Mutation, Positions};
use camformer::{Construct, Predictor};

use super::common::fixture;

const TOLERANCE: f64 = 1e-4;

fn predictor(name: &str) -> Predictor {
    let f = fixture(name);
    let bytes = f.state_dict().to_safetensors(Default::default()).unwrap();
    Predictor::from_weights(f.architecture, &bytes, burn::tensor::Device::flex()).unwrap()
}

fn construct(name: &str, case: usize) -> Construct {
    let f = fixture(name);
    camformer::input::sequence::prepare(&f.cases[case].input)
        .unwrap()
        .0
}

/// Fast and naive deltas agree within 1e-4 of the output scale, for every fast path.
fn check(name: &str, case: usize, positions: Positions) {
    let p = predictor(name);
    assert!(p.cpu_net().is_some());
    let c = construct(name, case);
    let burn = predictor(name).without_cpu_net();
    let naive = ism::run(&burn, &c, positions, Method::Naive).unwrap();
    let fast_cpu = ism::run(&p, &c, positions, Method::Fast).unwrap();
    compare(
        name,
        case,
        positions,
        &naive,
        &fast_cpu,
        "fast (CPU network)",
    );
    let fast_burn = ism::run(&burn, &c, positions, Method::Fast).unwrap();
    compare(name, case, positions, &naive, &fast_burn, "fast (Burn)");
    let naive_cpu = ism::run(&p, &c, positions, Method::Naive).unwrap();
    compare(
        name,
        case,
        positions,
        &naive,
        &naive_cpu,
        "naive (CPU network)",
    );
}

fn compare(name: &str, case: usize, positions: Positions, naive: &Ism, fast: &Ism, what: &str) {
    let scale = naive
        .effects
        .iter()
        .map(|(_, d)| d.abs() as f64)
        .fold(naive.reference.abs() as f64, f64::max)
        .max(1.0);
    assert_eq!(naive.effects.len(), fast.effects.len());
    assert!((naive.reference - fast.reference).abs() as f64 <= TOLERANCE * scale);
    let mut worst = 0f64;
    for ((mn, dn), (mf, df)) in naive.effects.iter().zip(&fast.effects) {
        assert_eq!(mn, mf);
        worst = worst.max((dn - df).abs() as f64);
    }
    assert!(
        worst <= TOLERANCE * scale,
        "{name} case {case} {positions:?}: {what} differs from naive by {worst:.2e} (scale {scale:.3})"
    );
    // The deltas are not trivially zero: the test would not catch a broken fast path otherwise.
    assert!(naive.effects.iter().any(|(_, d)| d.abs() > 1e-3));
}

#[test]
fn fast_equals_naive_mini() {
    check("mini", 0, Positions::RandomRegion);
    check("mini", 3, Positions::All);
}

#[test]
fn fast_equals_naive_original() {
    check("original", 1, Positions::All);
}

#[test]
fn fast_equals_naive_small_members() {
    for name in ["tiny_mini", "tiny_original"] {
        for case in 0..fixture(name).cases.len().min(6) {
            check(name, case, Positions::All);
        }
    }
}

#[test]
fn a_sequence_with_n_gets_four_alternatives_where_n_is() {
    let f = fixture("tiny_mini");
    let case = f
        .cases
        .iter()
        .position(|c| c.construct.contains('N'))
        .expect("a fixture input with N");
    let c = construct("tiny_mini", case);
    let n_positions = c.bases().iter().filter(|&&b| b == b'N').count();
    let muts = Mutation::all(&c, Positions::All);
    assert_eq!(muts.len(), 110 * 3 + n_positions);
    check("tiny_mini", case, Positions::All);
}
