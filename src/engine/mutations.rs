//! The data of in-silico saturation mutagenesis (ISM): which mutations to make, how to
//! compute them, and the result.
//!
//! An ISM is the predicted effect of every single-base change of a sequence. Both engines
//! compute it and the analyses above them use it, so this module sits below both and names
//! neither: it has the mutations ([`Mutation`], [`Positions`]), the choice of algorithm
//! ([`Method`]), the result ([`Ism`]), and the naive algorithm's batch and bookkeeping
//! ([`naive_batch`], [`from_predictions`]).

use crate::error::Error;
use crate::input::sequence::{CONSTRUCT_LEN, Construct, RANDOM_LEN, RANDOM_START};

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
    /// Only what each mutation changes, reusing the reference activations (on the CPU
    /// network, or in Burn tensor operations); equal to `Naive` up to summation order.
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

/// Checks that every mutation can be evaluated (both fast ISM engines call it first).
pub(crate) fn check_mutations(mutations: &[Mutation]) -> Result<(), Error> {
    if mutations.is_empty() {
        return Err(Error::Invalid("no mutations to evaluate".into()));
    }
    for m in mutations {
        if m.position >= CONSTRUCT_LEN {
            return Err(Error::Invalid(format!(
                "mutation position {} is outside the {CONSTRUCT_LEN}-bp construct",
                m.position + 1
            )));
        }
        if !b"ACGTN".contains(&m.alternative) {
            return Err(Error::Invalid(format!(
                "mutation at position {}: alternative {:?} is not one of A, C, G, T, N",
                m.position + 1,
                m.alternative as char
            )));
        }
    }
    Ok(())
}
