//! In-silico saturation mutagenesis (ISM): the predicted effect of every single-base change.
//!
//! The engine computes ISM for any list of mutations
//! ([`Predictor::ism`](crate::engine::predictor::Predictor::ism)); this module runs it over the
//! positions of a construct, as the CLI's `ism` command and the browser's ISM panel do, and
//! presents the result as a matrix. The data types are the engine's
//! ([`crate::engine::mutations`]), shared with the other analyses.

use crate::engine::mutations::{BASES, Ism, Method, Mutation, Positions};
use crate::engine::predictor::Predictor;
use crate::error::Error;
use crate::input::sequence::Construct;

impl Ism {
    /// The effects as a `[4, positions]` row-major matrix (rows A, C, G, T); reference cells
    /// are 0.
    pub fn matrix(&self, positions: Positions) -> Vec<f32> {
        self.matrix_over(positions.range())
    }

    /// The effects at the 0-based construct positions `range` as a `[4, range.len()]`
    /// row-major matrix (rows A, C, G, T); reference cells, and positions without effects, are
    /// 0.
    pub fn matrix_over(&self, range: std::ops::Range<usize>) -> Vec<f32> {
        let width = range.len();
        let mut out = vec![0.0; 4 * width];
        for (m, delta) in &self.effects {
            let row = BASES
                .iter()
                .position(|&b| b == m.alternative)
                .expect("ACGT");
            if range.contains(&m.position) {
                out[row * width + (m.position - range.start)] = *delta;
            }
        }
        out
    }
}

/// ISM of `construct` at `positions` with the chosen method (native only).
#[cfg(not(target_family = "wasm"))]
pub fn run(
    predictor: &Predictor,
    construct: &Construct,
    positions: Positions,
    method: Method,
) -> Result<Ism, Error> {
    predictor.ism(construct, Mutation::all(construct, positions), method)
}

/// ISM with asynchronous read-back (browser, WebGPU).
pub async fn run_async(
    predictor: &Predictor,
    construct: &Construct,
    positions: Positions,
    method: Method,
) -> Result<Ism, Error> {
    predictor
        .ism_async(construct, Mutation::all(construct, positions), method)
        .await
}

/// ISM of the part `range` (0-based construct positions) of `positions`, with asynchronous
/// read-back: one share of an ISM split across workers. The shares of a partition of
/// `positions.range()` together hold exactly the effects of the whole ISM (fast ISM computes
/// each mutant from the reference's activations, whatever else is in its batch).
pub async fn run_range_async(
    predictor: &Predictor,
    construct: &Construct,
    positions: Positions,
    range: std::ops::Range<usize>,
    method: Method,
) -> Result<Ism, Error> {
    let full = positions.range();
    if range.start < full.start || range.end > full.end || range.is_empty() {
        return Err(Error::Invalid(format!(
            "ISM positions {}-{} are not inside the mutated positions {}-{} (1-based)",
            range.start + 1,
            range.end,
            full.start + 1,
            full.end
        )));
    }
    let mutations = Mutation::all(construct, positions)
        .into_iter()
        .filter(|m| range.contains(&m.position))
        .collect();
    predictor.ism_async(construct, mutations, method).await
}

/// Naive ISM: every mutant through the full network, batched (native only).
#[cfg(not(target_family = "wasm"))]
pub fn naive(
    predictor: &Predictor,
    construct: &Construct,
    positions: Positions,
) -> Result<Ism, Error> {
    run(predictor, construct, positions, Method::Naive)
}

/// Naive ISM with asynchronous read-back (browser, WebGPU).
pub async fn naive_async(
    predictor: &Predictor,
    construct: &Construct,
    positions: Positions,
) -> Result<Ism, Error> {
    run_async(predictor, construct, positions, Method::Naive).await
}
