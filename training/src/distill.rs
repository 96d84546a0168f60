//! Distillation: trained models (the teachers, usually an ensemble) label the training rows and
//! synthetic neighbours of them, and the model being trained (the student) learns those labels.
//!
//! An ensemble predicts better than each of its members, but the app loads one model (and the
//! default download must stay small), so the ensemble's knowledge is moved into one network of
//! a published architecture. Two things carry it:
//!
//! - the training rows' targets become the teachers' mean prediction, or a blend of it with the
//!   measured value ([`Distill::teacher_weight`]): the ensemble's estimate is less noisy than one
//!   measurement;
//! - each epoch adds fresh **neighbours**: training sequences with one to
//!   [`Distill::max_mutations`] substitutions in the 80-bp random region, labelled by the
//!   teachers. They show the student how the ensemble responds to single-base changes, which is
//!   what SNV pairs and in-silico mutagenesis ask of the model.
//!
//! The teachers are never the published models: only models trained here, on the same rows, so
//! that a cross-validation stays honest (in `cv`, fold K's teachers are fold K's models of other
//! runs, which never saw fold K's rows).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use camformer::engine::files;
use camformer::input::sequence::RANDOM_LEN;
use camformer::{Construct, Predictor};
use serde::{Deserialize, Serialize};

use crate::augment::{edit_region, other_base};
use crate::data::{Dataset, Packed, Rng};
use crate::predict::predict_dataset;

/// How a run distils from its teachers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distill {
    /// Model directories (`manifest.json` + weights) whose mean prediction is the label; for
    /// `cv`, cross-validation directories, fold K taking each one's `fold-K`.
    pub teachers: Vec<PathBuf>,
    /// Synthetic neighbours per training row, drawn afresh every epoch (0 = none: the training
    /// rows alone, relabelled).
    pub neighbours: f64,
    /// A neighbour differs from its training row by 1 to this many substitutions.
    pub max_mutations: usize,
    /// Weight of the teachers' prediction in the training rows' targets: 1 = the teachers'
    /// prediction alone, 0 = the measured value alone. Neighbours have no measurement and
    /// always take the teachers' prediction.
    pub teacher_weight: f64,
}

impl Distill {
    /// Checks the settings (at least one teacher, sensible numbers).
    pub fn validate(&self) -> Result<()> {
        if self.teachers.is_empty() {
            bail!("distillation needs at least one teacher model");
        }
        if !(self.neighbours >= 0.0 && self.neighbours.is_finite()) {
            bail!(
                "neighbours per training row must be 0 or more (got {})",
                self.neighbours
            );
        }
        if !(1..=RANDOM_LEN).contains(&self.max_mutations) {
            bail!(
                "mutations per neighbour must be 1 to {RANDOM_LEN} (got {})",
                self.max_mutations
            );
        }
        if !(0.0..=1.0).contains(&self.teacher_weight) {
            bail!(
                "the teacher weight must be between 0 and 1 (got {})",
                self.teacher_weight
            );
        }
        Ok(())
    }

    /// The same settings with each teacher replaced by `map(teacher)` (for `cv`: the fold's
    /// directory inside each teacher run).
    pub fn map_teachers(&self, map: impl Fn(&Path) -> PathBuf) -> Self {
        Distill {
            teachers: self.teachers.iter().map(|t| map(t)).collect(),
            ..self.clone()
        }
    }

    /// Neighbours added to an epoch over `rows` training rows.
    pub fn neighbours_per_epoch(&self, rows: usize) -> usize {
        (self.neighbours * rows as f64).round() as usize
    }
}

/// The teacher models, predicting as one: the mean of their predictions.
pub struct Teachers {
    members: Vec<Predictor>,
}

impl Teachers {
    /// Loads every model directory of `dirs` on `device` (any architecture: a teacher need not
    /// be the student's).
    pub fn load(dirs: &[PathBuf], device: &Device) -> Result<Self> {
        let members = dirs
            .iter()
            .map(|dir| {
                files::load(dir, None, device.clone())
                    .map(|p| p.with_batch_size(512))
                    .with_context(|| format!("loading teacher {}", dir.display()))
            })
            .collect::<Result<Vec<_>>>()?;
        if members.is_empty() {
            bail!("distillation needs at least one teacher model");
        }
        Ok(Teachers { members })
    }

    /// Number of teacher models.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True when there are none (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The teachers' mean prediction for every sequence of `data`.
    pub fn predict(&self, data: &Dataset) -> Result<Vec<f32>> {
        let mut sum = vec![0f64; data.len()];
        for member in &self.members {
            for (s, p) in sum.iter_mut().zip(predict_dataset(member, data)?) {
                *s += p as f64;
            }
        }
        let n = self.members.len() as f64;
        Ok(sum.into_iter().map(|s| (s / n) as f32).collect())
    }
}

/// `data` with each target replaced by `weight` × the teachers' prediction + (1 − `weight`) ×
/// the measured value.
pub fn relabel(data: &Dataset, teachers: &Teachers, weight: f64) -> Result<Dataset> {
    let taught = teachers.predict(data)?;
    let mut out = data.clone();
    for (t, p) in out.targets.iter_mut().zip(taught) {
        *t = (weight * p as f64 + (1.0 - weight) * *t as f64) as f32;
    }
    Ok(out)
}

/// A copy of `c` with 1 to `max_mutations` substitutions at distinct positions of the random
/// region, each base replaced by one of the three others (`N` is never chosen or produced).
pub fn mutant(c: &Construct, max_mutations: usize, rng: &mut Rng) -> Construct {
    edit_region(c, |region| {
        let mut positions: Vec<usize> = (0..RANDOM_LEN).filter(|&i| region[i] != b'N').collect();
        let n = (1 + rng.below(max_mutations)).min(positions.len());
        // A partial Fisher-Yates shuffle: the first n positions, distinct and uniform.
        for i in 0..n {
            let j = i + rng.below(positions.len() - i);
            positions.swap(i, j);
        }
        for &at in &positions[..n] {
            region[at] = other_base(region[at], rng);
        }
    })
}

/// `count` neighbours of random rows of `train` (with replacement), labelled by `teachers`;
/// no group or test index (they are not rows of any file).
pub fn neighbours(
    train: &Dataset,
    teachers: &Teachers,
    count: usize,
    max_mutations: usize,
    rng: &mut Rng,
) -> Result<Dataset> {
    if train.is_empty() {
        bail!("no training rows to draw neighbours from");
    }
    let seqs: Vec<Packed> = (0..count)
        .map(|_| {
            let parent = train.seqs[rng.below(train.len())].unpack();
            Packed::pack(&mutant(&parent, max_mutations, rng))
        })
        .collect();
    let mut out = Dataset {
        targets: vec![0.0; count],
        groups: vec![None; count],
        idx: vec![None; count],
        random: vec![false; count],
        seqs,
    };
    out.targets = teachers.predict(&out)?;
    Ok(out)
}

/// The training data of one distilled epoch: the relabelled training rows followed by that
/// epoch's neighbours.
pub fn epoch_set(relabelled: &Dataset, neighbours: Dataset) -> Dataset {
    let mut out = relabelled.clone();
    out.extend(neighbours);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use camformer::input::sequence::{RANDOM_START, prepare};

    fn construct(seed: u64) -> Construct {
        let mut rng = Rng(seed);
        let region: String = (0..RANDOM_LEN)
            .map(|_| b"ACGT"[rng.below(4)] as char)
            .collect();
        prepare(&region).unwrap().0
    }

    #[test]
    fn a_mutant_differs_in_one_to_max_bases_of_the_region_only() {
        let mut rng = Rng(7);
        let mut seen = [0usize; 4];
        for k in 0..2000 {
            let c = construct(k);
            let m = mutant(&c, 3, &mut rng);
            let diff: Vec<usize> = (0..c.bases().len())
                .filter(|&i| c.bases()[i] != m.bases()[i])
                .collect();
            assert!((1..=3).contains(&diff.len()), "{diff:?}");
            assert!(
                diff.iter()
                    .all(|&i| (RANDOM_START..RANDOM_START + RANDOM_LEN).contains(&i)),
                "only the random region changes: {diff:?}"
            );
            assert!(diff.iter().all(|&i| b"ACGT".contains(&m.bases()[i])));
            seen[diff.len()] += 1;
        }
        // 1, 2 and 3 substitutions all occur, about equally often.
        for (n, &count) in seen.iter().enumerate().skip(1) {
            assert!((500..830).contains(&count), "{n} substitutions: {count}");
        }
    }

    #[test]
    fn mutants_are_seeded() {
        let c = construct(1);
        let draw = |seed| {
            let mut rng = Rng(seed);
            (0..20).map(|_| mutant(&c, 2, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }

    #[test]
    fn settings_are_checked() {
        let ok = Distill {
            teachers: vec!["a".into()],
            neighbours: 1.0,
            max_mutations: 2,
            teacher_weight: 1.0,
        };
        assert!(ok.validate().is_ok());
        for bad in [
            Distill {
                teachers: vec![],
                ..ok.clone()
            },
            Distill {
                neighbours: -1.0,
                ..ok.clone()
            },
            Distill {
                max_mutations: 0,
                ..ok.clone()
            },
            Distill {
                teacher_weight: 1.5,
                ..ok.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert_eq!(ok.neighbours_per_epoch(10), 10);
        assert_eq!(
            Distill {
                neighbours: 0.25,
                ..ok.clone()
            }
            .neighbours_per_epoch(10),
            3
        );
        let mapped = ok.map_teachers(|t| t.join("fold-2"));
        assert_eq!(mapped.teachers, vec![PathBuf::from("a/fold-2")]);
    }
}
