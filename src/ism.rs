//! In-silico saturation mutagenesis (ISM): the predicted effect of every single-base change.

use crate::error::Error;
use crate::predictor::Predictor;
use crate::sequence::{CONSTRUCT_LEN, Construct, RANDOM_LEN, RANDOM_START};

/// The bases, in the row order of ISM matrices.
pub const BASES: [u8; 4] = *b"ACGT";

/// Which positions of the construct to mutate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Positions {
    /// The 80 random-region positions (18-97, 1-based), as the paper does.
    #[default]
    RandomRegion,
    /// All 110 positions, flanks included.
    All,
}

impl Positions {
    /// 0-based positions in the construct.
    pub fn range(self) -> std::ops::Range<usize> {
        match self {
            Positions::RandomRegion => RANDOM_START..RANDOM_START + RANDOM_LEN,
            Positions::All => 0..CONSTRUCT_LEN,
        }
    }
}

/// How ISM computes the mutants' predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Every mutant through the whole network, batched.
    Naive,
    /// Only what each mutation changes, reusing the reference activations
    /// ([`crate::fast_ism`]); equal to `Naive` up to summation order.
    #[default]
    Fast,
}

impl std::str::FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "naive" => Ok(Method::Naive),
            "fast" => Ok(Method::Fast),
            other => Err(Error::Invalid(format!(
                "unknown ISM method '{other}': expected 'fast' or 'naive'"
            ))),
        }
    }
}

/// One single-base mutant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mutation {
    /// 0-based position in the construct.
    pub position: usize,
    /// Reference base (`ACGTN`).
    pub reference: u8,
    /// Alternative base (`ACGT`).
    pub alternative: u8,
}

impl Mutation {
    /// All single-base substitutions of `construct` at `positions`, position-major, alternatives
    /// in `ACGT` order (three per position; four where the reference is `N`).
    pub fn all(construct: &Construct, positions: Positions) -> Vec<Mutation> {
        let bases = construct.bases();
        positions
            .range()
            .flat_map(|position| {
                let reference = bases[position];
                BASES
                    .iter()
                    .filter(move |&&b| b != reference)
                    .map(move |&alternative| Mutation {
                        position,
                        reference,
                        alternative,
                    })
            })
            .collect()
    }

    /// The mutant sequence.
    pub fn apply(&self, construct: &Construct) -> Construct {
        construct.with_base(self.position, self.alternative)
    }
}

/// ISM of one sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Ism {
    /// Prediction for the unmutated sequence.
    pub reference: f32,
    /// Every mutation with its effect, `prediction(mutant) - reference`.
    pub effects: Vec<(Mutation, f32)>,
}

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

/// The batch a naive ISM runs: the reference first, then each mutant.
pub fn naive_batch(construct: &Construct, mutations: &[Mutation]) -> Vec<Construct> {
    std::iter::once(*construct)
        .chain(mutations.iter().map(|m| m.apply(construct)))
        .collect()
}

/// Turns the predictions of a [`naive_batch`] into an [`Ism`].
pub fn from_predictions(mutations: Vec<Mutation>, predictions: &[f32]) -> Result<Ism, Error> {
    if predictions.len() != mutations.len() + 1 {
        return Err(Error::Backend(format!(
            "expected {} predictions, got {}",
            mutations.len() + 1,
            predictions.len()
        )));
    }
    let reference = predictions[0];
    let effects = mutations
        .into_iter()
        .zip(&predictions[1..])
        .map(|(m, &p)| (m, p - reference))
        .collect();
    Ok(Ism { reference, effects })
}

/// ISM of `construct` at `positions` with the chosen method (native only).
#[cfg(not(target_family = "wasm"))]
pub fn run(
    predictor: &Predictor,
    construct: &Construct,
    positions: Positions,
    method: Method,
) -> Result<Ism, Error> {
    match method {
        Method::Naive => naive(predictor, construct, positions),
        Method::Fast => {
            crate::fast_ism::fast(predictor, construct, Mutation::all(construct, positions))
        }
    }
}

/// ISM with asynchronous read-back (browser, WebGPU).
pub async fn run_async(
    predictor: &Predictor,
    construct: &Construct,
    positions: Positions,
    method: Method,
) -> Result<Ism, Error> {
    match method {
        Method::Naive => naive_async(predictor, construct, positions).await,
        Method::Fast => {
            crate::fast_ism::fast_async(predictor, construct, Mutation::all(construct, positions))
                .await
        }
    }
}

/// Naive ISM: every mutant through the full network, batched (native only).
#[cfg(not(target_family = "wasm"))]
pub fn naive(
    predictor: &Predictor,
    construct: &Construct,
    positions: Positions,
) -> Result<Ism, Error> {
    let mutations = Mutation::all(construct, positions);
    let predictions = predictor.predict(&naive_batch(construct, &mutations))?;
    from_predictions(mutations, &predictions)
}

/// Naive ISM with asynchronous read-back (browser, WebGPU).
pub async fn naive_async(
    predictor: &Predictor,
    construct: &Construct,
    positions: Positions,
) -> Result<Ism, Error> {
    let mutations = Mutation::all(construct, positions);
    let predictions = predictor
        .predict_async(&naive_batch(construct, &mutations))
        .await?;
    from_predictions(mutations, &predictions)
}
