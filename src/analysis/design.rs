//! Sequence design: greedy and beam search over single-base edits of the 80-bp random region
//! to raise or lower predicted expression.
//!
//! Each step scores every allowed single-base edit of every sequence in the beam with one
//! (fast, exact) ISM, and keeps the best `beam_width` distinct sequences. Greedy search is a
//! beam of width 1 and stops as soon as no edit improves the prediction. Constraints: at most
//! `max_edits` edited positions, frozen positions never change, a position is edited at most
//! once, and only `A`, `C`, `G`, `T` are ever written (so no `N` is introduced; a random region
//! that contains `N` is rejected).
//!
//! The search is a small state machine, [`Design`]: [`Design::pending`] says which ISMs to run
//! and [`Design::advance`] takes their results, so the CLI (synchronous) and the browser
//! (asynchronous, with progress and cancel between steps) share the same logic.

use serde::Serialize;

#[cfg(not(target_family = "wasm"))]
use crate::engine::mutations::Method;
use crate::engine::mutations::{Ism, Mutation, Positions};
#[cfg(not(target_family = "wasm"))]
use crate::engine::predictor::Predictor;
use crate::error::Error;
use crate::input::sequence::{Construct, RANDOM_LEN, RANDOM_START};

/// Which way to push expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    /// Raise the prediction.
    Maximize,
    /// Lower the prediction.
    Minimize,
}

impl std::str::FromStr for Goal {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "max" | "maximize" | "maximise" | "up" | "raise" => Ok(Goal::Maximize),
            "min" | "minimize" | "minimise" | "down" | "lower" => Ok(Goal::Minimize),
            other => Err(Error::Invalid(format!(
                "unknown design goal '{other}': expected 'maximize' or 'minimize'"
            ))),
        }
    }
}

impl Goal {
    /// Larger is better for this goal.
    fn score(self, prediction: f32) -> f32 {
        match self {
            Goal::Maximize => prediction,
            Goal::Minimize => -prediction,
        }
    }
}

/// Search settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesignConfig {
    /// Raise or lower expression.
    pub goal: Goal,
    /// Most positions that may differ from the starting sequence.
    pub max_edits: usize,
    /// Sequences kept per step; 1 is greedy search.
    pub beam_width: usize,
    /// 0-based construct positions that must not change.
    pub frozen: Vec<usize>,
}

/// One sequence of the search with how it was reached.
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    construct: Construct,
    prediction: f32,
    /// Edits from the start, in order, with the prediction after each.
    path: Vec<(Mutation, f32)>,
}

/// One point of a design trajectory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrajectoryStep {
    /// Number of edits so far (0 = the starting sequence).
    pub edits: usize,
    /// The edit made at this step (1-based construct position, bases), if any.
    pub edit: Option<String>,
    /// The sequence after this step.
    pub sequence: String,
    /// Its prediction.
    pub prediction: f32,
}

/// A running design search.
#[derive(Debug, Clone)]
pub struct Design {
    config: DesignConfig,
    start: Construct,
    start_prediction: f32,
    beam: Vec<Candidate>,
    best: Candidate,
    steps: usize,
    finished: bool,
}

impl Design {
    /// Starts a search from `start`, whose prediction is `prediction`.
    pub fn new(config: DesignConfig, start: Construct, prediction: f32) -> Result<Self, Error> {
        if config.beam_width == 0 {
            return Err(Error::Invalid("the beam width must be at least 1".into()));
        }
        let region = RANDOM_START..RANDOM_START + RANDOM_LEN;
        if let Some(p) = region.clone().find(|&p| start.bases()[p] == b'N') {
            return Err(Error::Invalid(format!(
                "design needs a random region without N; position {} (construct position {}) is N",
                p - RANDOM_START + 1,
                p + 1
            )));
        }
        if let Some(&p) = config.frozen.iter().find(|p| !region.contains(p)) {
            return Err(Error::Invalid(format!(
                "frozen position {} is outside the random region (construct positions {}-{})",
                p + 1,
                region.start + 1,
                region.end
            )));
        }
        let first = Candidate {
            construct: start,
            prediction,
            path: Vec::new(),
        };
        Ok(Design {
            finished: config.max_edits == 0,
            config,
            start,
            start_prediction: prediction,
            beam: vec![first.clone()],
            best: first,
            steps: 0,
        })
    }

    /// Whether the search has ended.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The settings.
    pub fn config(&self) -> &DesignConfig {
        &self.config
    }

    /// The ISMs the next step needs: for each beam member, its sequence and allowed edits.
    pub fn pending(&self) -> Vec<(Construct, Vec<Mutation>)> {
        if self.finished {
            return Vec::new();
        }
        self.beam
            .iter()
            .map(|c| {
                let edited: Vec<usize> = c.path.iter().map(|(m, _)| m.position).collect();
                let muts = Mutation::all(&c.construct, Positions::RandomRegion)
                    .into_iter()
                    .filter(|m| !self.config.frozen.contains(&m.position))
                    .filter(|m| !edited.contains(&m.position))
                    .collect();
                (c.construct, muts)
            })
            .collect()
    }

    /// Takes the ISM results for [`Design::pending`] (same order) and makes one step.
    /// Returns whether the search continues.
    pub fn advance(&mut self, results: Vec<Ism>) -> Result<bool, Error> {
        if self.finished {
            return Ok(false);
        }
        if results.len() != self.beam.len() {
            return Err(Error::Invalid(format!(
                "design step needs {} ISM results, got {}",
                self.beam.len(),
                results.len()
            )));
        }
        let goal = self.config.goal;
        let mut candidates: Vec<Candidate> = Vec::new();
        for (parent, ism) in self.beam.iter().zip(results) {
            for (m, delta) in ism.effects {
                let prediction = parent.prediction + delta;
                let mut path = parent.path.clone();
                path.push((m, prediction));
                candidates.push(Candidate {
                    construct: m.apply(&parent.construct),
                    prediction,
                    path,
                });
            }
        }
        // Best first; ties broken by position and base so results are reproducible.
        candidates.sort_by(|a, b| {
            goal.score(b.prediction)
                .total_cmp(&goal.score(a.prediction))
                .then_with(|| a.construct.bases().cmp(b.construct.bases()))
        });
        candidates.dedup_by(|a, b| a.construct == b.construct);
        candidates.truncate(self.config.beam_width);
        let Some(top) = candidates.first() else {
            self.finished = true;
            return Ok(false);
        };
        let improved = goal.score(top.prediction) > goal.score(self.best.prediction);
        if improved {
            self.best = top.clone();
        }
        self.steps += 1;
        // Greedy search stops at a local optimum; a beam may pass through worse sequences.
        if (self.config.beam_width == 1 && !improved) || self.steps >= self.config.max_edits {
            self.finished = true;
        }
        if self.config.beam_width > 1 || improved {
            self.beam = candidates;
        }
        Ok(!self.finished)
    }

    /// The path from the start to the best sequence found so far.
    pub fn trajectory(&self) -> Vec<TrajectoryStep> {
        let mut construct = self.start;
        let mut out = vec![TrajectoryStep {
            edits: 0,
            edit: None,
            sequence: construct.to_string(),
            prediction: self.start_prediction,
        }];
        for (i, (m, prediction)) in self.best.path.iter().enumerate() {
            construct = m.apply(&construct);
            out.push(TrajectoryStep {
                edits: i + 1,
                edit: Some(format!(
                    "{}{}>{}",
                    m.position + 1,
                    m.reference as char,
                    m.alternative as char
                )),
                sequence: construct.to_string(),
                prediction: *prediction,
            });
        }
        out
    }
}

/// Runs a whole design search natively with fast ISM.
#[cfg(not(target_family = "wasm"))]
pub fn run(predictor: &Predictor, config: DesignConfig, start: Construct) -> Result<Design, Error> {
    let prediction = predictor.predict(std::slice::from_ref(&start))?[0];
    let mut design = Design::new(config, start, prediction)?;
    while !design.is_finished() {
        let results = design
            .pending()
            .into_iter()
            .map(|(c, muts)| predictor.ism(&c, muts, Method::Fast))
            .collect::<Result<Vec<_>, _>>()?;
        design.advance(results)?;
    }
    Ok(design)
}
