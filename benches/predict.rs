//! Native prediction and ISM throughput, f32, on the CPU, the numbers the README compares with
//! PyTorch and ONNX Runtime (`scripts/bench_peers.py` runs all three). `predict` and the ISM
//! benchmarks use what the app uses (the CPU inference network, `cpu_net`); `predict_burn_module`
//! and `ism_fast_burn_*` run the same weights through the Burn module on flex, for comparison.
//!
//! Weights are Burn's random initialisation: speed does not depend on their values.
//! `cargo bench --bench predict` (set `CAMFORMER_BENCH_ARCH=mini` to run one architecture;
//! `CAMFORMER_BENCH_BACKEND=ndarray` with `--features ndarray` for the deprecated backend).

use std::hint::black_box;
use std::time::Duration;

use camformer::analysis::ism;
use camformer::engine::mutations::{Method, Positions};
use camformer::input::records::parse_all;
use camformer::model::weights::StorageDtype;
use camformer::{ArchConfig, Backend, Camformer, Construct, Predictor};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// 256 real DREAM test sequences (the committed sample, repeated).
fn batch() -> Vec<Construct> {
    let text = include_str!("../tests/data/dream_test_sample.tsv");
    let (good, _) = parse_all(text);
    good.iter().map(|p| p.construct).cycle().take(256).collect()
}

fn predictor(config: &ArchConfig, backend: Backend) -> Predictor {
    let device = backend.device().unwrap();
    device.seed(7);
    let net = Camformer::new(config, &device).unwrap();
    let weights = net
        .to_state_dict(config, config.name == "original")
        .unwrap()
        .to_safetensors(StorageDtype::F32)
        .unwrap();
    Predictor::from_weights(config.clone(), &weights, device).unwrap()
}

fn archs() -> Vec<ArchConfig> {
    match std::env::var("CAMFORMER_BENCH_ARCH").as_deref() {
        Ok(name) => vec![ArchConfig::preset(name).unwrap()],
        Err(_) => vec![ArchConfig::mini(), ArchConfig::original()],
    }
}

/// `CAMFORMER_BENCH_BACKEND` (default `cpu`, i.e. flex; `ndarray` with `--features ndarray`).
fn backend() -> Backend {
    std::env::var("CAMFORMER_BENCH_BACKEND")
        .as_deref()
        .unwrap_or("cpu")
        .parse()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let seqs = batch();
    let backend = backend();
    for config in archs() {
        let p = predictor(&config, backend);
        let mut group = c.benchmark_group(format!("{}/{}", backend.name(), config.name));
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(3));
        group.measurement_time(Duration::from_secs(if config.name == "original" {
            60
        } else {
            15
        }));
        group.throughput(Throughput::Elements(seqs.len() as u64));
        group.bench_function(BenchmarkId::new("predict", 256), |b| {
            b.iter(|| black_box(p.predict(black_box(&seqs)).unwrap()))
        });
        let module = predictor(&config, backend).without_cpu_net();
        group.bench_function(BenchmarkId::new("predict_burn_module", 256), |b| {
            b.iter(|| black_box(module.predict(black_box(&seqs)).unwrap()))
        });
        // One batch of 331 = reference + 110 positions x 3, as the peers' ISM was timed.
        group.throughput(Throughput::Elements(331));
        let p = p.with_batch_size(331);
        for method in [Method::Naive, Method::Fast] {
            group.bench_function(
                format!("ism_{method:?}_all_positions").to_lowercase(),
                |b| b.iter(|| black_box(ism::run(&p, &seqs[0], Positions::All, method).unwrap())),
            );
        }
        let module = module.with_batch_size(331);
        group.bench_function("ism_fast_burn_all_positions", |b| {
            b.iter(|| black_box(ism::run(&module, &seqs[0], Positions::All, Method::Fast).unwrap()))
        });
        // The paper's ISM: the 80 random-region positions x 3 = 240 mutants + reference.
        group.throughput(Throughput::Elements(241));
        for method in [Method::Naive, Method::Fast] {
            group.bench_function(
                format!("ism_{method:?}_random_region").to_lowercase(),
                |b| {
                    b.iter(|| {
                        black_box(ism::run(&p, &seqs[0], Positions::RandomRegion, method).unwrap())
                    })
                },
            );
        }
        group.bench_function("ism_fast_burn_random_region", |b| {
            b.iter(|| {
                black_box(
                    ism::run(&module, &seqs[0], Positions::RandomRegion, Method::Fast).unwrap(),
                )
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
