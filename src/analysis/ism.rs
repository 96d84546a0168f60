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
        let range = positions.range();
        let width = range.len();
        let mut out = vec![0.0; 4 * width];
        for (m, delta) in &self.effects {
            let row = BASES
                .iter()
                .position(|&b| b == m.alternative)
                .expect("ACGT");
            out[row * width + (m.position - range.start)] = *delta;
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
