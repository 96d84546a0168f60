//! The official Random Promoter DREAM Challenge 2022 score.
//!
//! ```text
//! PearsonScore = (r²_all + .3 r²_high + .3 r²_low + .3 r²_yeast + .3 r²_random
//!                 + .5 r²_challenging + 1.25 r²_SNVs + .3 r²_motif_perturbation
//!                 + .4 r²_motif_tiling) / 4.65
//! ```
//!
//! `SpearmanScore` uses the same weights on Spearman ρ (not squared). Paired subsets correlate
//! `truth[alt] - truth[ref]` with `pred[alt] - pred[ref]`. Indices are 0-based rows of the
//! official 71,103-sequence test file.
//!
//! The public-leaderboard subsets come with their measured values in the challenge's
//! `public_leaderboard/*_exp_indices.json` files ([`Scorer::from_public_leaderboard`]); the
//! private (final) score is built by the caller from the full test file and pair lists,
//! dropping every index that appears in a public file.

use std::collections::HashMap;

use crate::error::Error;
use crate::metrics::{pearson, spearman};

/// The nine subsets of the official score, with their weights, in the published order.
pub const SUBSETS: [(&str, f64); 9] = [
    ("all", 1.0),
    ("high", 0.3),
    ("low", 0.3),
    ("yeast", 0.3),
    ("random", 0.3),
    ("challenging", 0.5),
    ("SNVs", 1.25),
    ("motif_perturbation", 0.3),
    ("motif_tiling", 0.4),
];

/// Measured values of one subset.
#[derive(Debug, Clone, PartialEq)]
pub enum SubsetData {
    /// Single sequences: (index, measured value).
    Single(Vec<(usize, f64)>),
    /// Pairs: ((alt index, ref index), (measured alt, measured ref)).
    Pairs(Vec<((usize, usize), (f64, f64))>),
}

/// Correlations on one subset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubsetScore {
    /// Pearson r.
    pub pearson: f64,
    /// Spearman ρ.
    pub spearman: f64,
    /// Number of sequences (or pairs) scored.
    pub n: usize,
}

/// Scores on every subset and the weighted totals.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Per subset, in [`SUBSETS`] order.
    pub subsets: Vec<(String, SubsetScore)>,
    /// Weighted mean of squared Pearson r.
    pub pearson_score: f64,
    /// Weighted mean of Spearman ρ.
    pub spearman_score: f64,
}

/// A scorer: the measured values of the nine subsets.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorer {
    subsets: Vec<(String, f64, SubsetData)>,
}

impl Scorer {
    /// A scorer from the nine subsets, named as in [`SUBSETS`].
    pub fn new(mut data: HashMap<String, SubsetData>) -> Result<Self, Error> {
        let subsets = SUBSETS
            .iter()
            .map(|&(name, weight)| {
                data.remove(name)
                    .map(|d| (name.to_string(), weight, d))
                    .ok_or_else(|| Error::Invalid(format!("DREAM subset '{name}' is missing")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Scorer { subsets })
    }

    /// The public-leaderboard scorer from the challenge's JSON files: `ground.json` (all) and
    /// `<subset>_exp_indices.json`, given as (file name, contents).
    pub fn from_public_leaderboard<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, Error> {
        let mut data = HashMap::new();
        for (file, text) in files {
            let name = match file.strip_suffix("_exp_indices.json") {
                Some(n) => n,
                None if file == "ground.json" => "all",
                None => continue,
            };
            let json: HashMap<String, serde_json::Value> =
                serde_json::from_str(text).map_err(|e| Error::Invalid(format!("{file}: {e}")))?;
            let bad = |k: &str| Error::Invalid(format!("{file}: unexpected entry '{k}'"));
            let subset = if json.keys().any(|k| k.contains(',')) {
                let mut pairs = Vec::with_capacity(json.len());
                for (k, v) in &json {
                    let (a, r) = k.split_once(',').ok_or_else(|| bad(k))?;
                    let idx = (
                        a.trim().parse().map_err(|_| bad(k))?,
                        r.trim().parse().map_err(|_| bad(k))?,
                    );
                    let vals = v
                        .as_array()
                        .filter(|v| v.len() == 2)
                        .ok_or_else(|| bad(k))?;
                    let t = (
                        vals[0].as_f64().ok_or_else(|| bad(k))?,
                        vals[1].as_f64().ok_or_else(|| bad(k))?,
                    );
                    pairs.push((idx, t));
                }
                pairs.sort_by_key(|p| p.0);
                SubsetData::Pairs(pairs)
            } else {
                let mut single = Vec::with_capacity(json.len());
                for (k, v) in &json {
                    let idx = k.trim().parse().map_err(|_| bad(k))?;
                    single.push((idx, v.as_f64().ok_or_else(|| bad(k))?));
                }
                single.sort_by_key(|p| p.0);
                SubsetData::Single(single)
            };
            data.insert(name.to_string(), subset);
        }
        Self::new(data)
    }

    /// [`Scorer::from_public_leaderboard`] reading every `*.json` file of a directory.
    #[cfg(not(target_family = "wasm"))]
    pub fn from_public_leaderboard_dir(dir: &std::path::Path) -> Result<Self, Error> {
        let read_err = |e| Error::io(format!("reading {}", dir.display()), e);
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_err)? {
            let path = entry.map_err(read_err)?.path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
                let name = path
                    .file_name()
                    .expect("a file")
                    .to_string_lossy()
                    .into_owned();
                files.push((name, text));
            }
        }
        Self::from_public_leaderboard(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// Every index the scorer needs a prediction for.
    pub fn indices(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .subsets
            .iter()
            .flat_map(|(_, _, d)| match d {
                SubsetData::Single(v) => v.iter().map(|p| p.0).collect::<Vec<_>>(),
                SubsetData::Pairs(v) => v.iter().flat_map(|p| [p.0.0, p.0.1]).collect(),
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Scores predictions given by index; a missing prediction is an error naming the index.
    pub fn score(&self, prediction: impl Fn(usize) -> Option<f64>) -> Result<Report, Error> {
        let get = |i: usize| {
            prediction(i).ok_or_else(|| Error::Invalid(format!("no prediction for test index {i}")))
        };
        let mut subsets = Vec::new();
        let (mut ps, mut ss, mut wsum) = (0.0, 0.0, 0.0);
        for (name, weight, data) in &self.subsets {
            let (truth, pred): (Vec<f64>, Vec<f64>) = match data {
                SubsetData::Single(v) => v
                    .iter()
                    .map(|&(i, t)| Ok((t, get(i)?)))
                    .collect::<Result<Vec<_>, Error>>()?
                    .into_iter()
                    .unzip(),
                SubsetData::Pairs(v) => v
                    .iter()
                    .map(|&((a, r), (ta, tr))| Ok((ta - tr, get(a)? - get(r)?)))
                    .collect::<Result<Vec<_>, Error>>()?
                    .into_iter()
                    .unzip(),
            };
            let undefined = || Error::Invalid(format!("subset '{name}': correlation undefined"));
            let score = SubsetScore {
                pearson: pearson(&truth, &pred).ok_or_else(undefined)?,
                spearman: spearman(&truth, &pred).ok_or_else(undefined)?,
                n: truth.len(),
            };
            ps += weight * score.pearson * score.pearson;
            ss += weight * score.spearman;
            wsum += weight;
            subsets.push((name.clone(), score));
        }
        Ok(Report {
            subsets,
            pearson_score: ps / wsum,
            spearman_score: ss / wsum,
        })
    }
}
