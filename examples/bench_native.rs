//! Native CPU numbers for the browser benchmark (`scripts/bench-browser.mjs` runs this beside
//! the benchmark page, so both come from the same run on the same machine):
//!
//! ```sh
//! cargo run --release --example bench_native [-- --reps 5]
//! RAYON_NUM_THREADS=1 cargo run --release --example bench_native    # one thread, as wasm
//! ```
//!
//! The shipped default model on the flex CPU backend; the same workloads as `www/bench/`:
//! predict a batch of 256 real DREAM sequences (`tests/data/dream_test_sample.tsv` repeated),
//! and ISM of the first of them (random region: 240 mutants; all positions: 330) with the fast
//! and the naive method. Every timing includes reading the result back; each is the median of
//! `--reps` runs after one warm-up run. Prints one JSON object on standard output.

use std::time::{Duration, Instant};

use camformer::analysis::ism;
use camformer::engine::mutations::{Method, Positions};
use camformer::input::records::parse_all;
use camformer::{Backend, Construct, Predictor};

/// The benchmark's sequences, the same file the browser page fetches.
const SAMPLE: &str = include_str!("../tests/data/dream_test_sample.tsv");

/// Sequences in the throughput batch.
const BATCH: usize = 256;

fn median(times: &mut [Duration]) -> f64 {
    times.sort();
    let n = times.len();
    let secs = |d: Duration| d.as_secs_f64();
    if n % 2 == 1 {
        secs(times[n / 2])
    } else {
        (secs(times[n / 2 - 1]) + secs(times[n / 2])) / 2.0
    }
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat` (Linux; clock
/// ticks of 1/100 s), to show how many cores the timed runs really kept busy.
fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// One warm-up call, then `reps` timed calls: `{median_s, min_s, runs_s, cores_busy}`
/// (`cores_busy`: CPU time / wall time over the timed runs).
fn timed<T>(reps: usize, mut f: impl FnMut() -> T) -> serde_json::Value {
    std::hint::black_box(f());
    let cpu0 = process_cpu_s();
    let wall0 = Instant::now();
    let mut times: Vec<Duration> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    let wall = wall0.elapsed().as_secs_f64();
    let cores_busy = cpu0
        .zip(process_cpu_s())
        .map(|(a, b)| (b - a) / wall.max(1e-9));
    let runs: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    let min = runs.iter().copied().fold(f64::INFINITY, f64::min);
    serde_json::json!({
        "median_s": median(&mut times),
        "min_s": min,
        "runs_s": runs,
        "cores_busy": cores_busy,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let reps = match args.iter().position(|a| a == "--reps") {
        Some(i) => args
            .get(i + 1)
            .ok_or("--reps needs a number")?
            .parse::<usize>()?,
        None => 5,
    }
    .max(1);

    let sequences: Vec<Construct> = parse_all(SAMPLE).0.iter().map(|p| p.construct).collect();
    if sequences.is_empty() {
        return Err("no sequences in tests/data/dream_test_sample.tsv".into());
    }
    let batch: Vec<Construct> = sequences.iter().copied().cycle().take(BATCH).collect();
    let ism_sequence = sequences[0];

    let t = Instant::now();
    let predictor = Predictor::default_model(Backend::Cpu.device()?)?;
    let load_s = t.elapsed().as_secs_f64();

    // The first predictions, so the runner can check that every engine ran the same model.
    let first = predictor.predict(&batch[..8])?;

    let mut predict = timed(reps, || predictor.predict(&batch).expect("predict"));
    let median_s = predict["median_s"].as_f64().unwrap_or(f64::NAN);
    predict["batch"] = BATCH.into();
    predict["seq_per_s"] = (BATCH as f64 / median_s).into();

    let mut ism_results = serde_json::Map::new();
    for (positions, label, mutants) in [
        (Positions::RandomRegion, "random_region", 240),
        (Positions::All, "all_positions", 330),
    ] {
        for (method, name) in [(Method::Fast, "fast"), (Method::Naive, "naive")] {
            let mut r = timed(reps, || {
                ism::run(&predictor, &ism_sequence, positions, method).expect("ism")
            });
            let got = ism::run(&predictor, &ism_sequence, positions, method)?
                .effects
                .len();
            if got != mutants {
                return Err(format!("ISM {label}: {got} mutants, expected {mutants}").into());
            }
            r["mutants"] = mutants.into();
            ism_results.insert(format!("{name}_{label}"), r);
        }
    }

    // Threads of the CPU backend: rayon's global pool, sized by RAYON_NUM_THREADS or the cores.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(cores);

    let out = serde_json::json!({
        "engine": "camformer native (burn flex CPU)",
        "model": predictor.manifest().map(|m| m.name.clone()),
        "threads": threads,
        "cores": cores,
        "rayon_num_threads": std::env::var("RAYON_NUM_THREADS").ok(),
        "reps": reps,
        "load_s": load_s,
        "first_predictions": first,
        "predict": predict,
        "ism": ism_results,
        "ism_sequence": ism_sequence.to_string(),
    });
    println!("{out}");
    Ok(())
}
