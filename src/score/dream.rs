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
//! `public_leaderboard/*_exp_indices.json` files ([`Scorer::from_public_leaderboard`]). The
//! private (final) score is built from the user's copy of the measured test values and pair
//! lists ([`TestSet`], [`TestSet::private_scorer`]), dropping every index that appears in a
//! public file. Predictions files are read by [`Predictions::parse`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::error::Error;
use crate::score::metrics::{pearson, spearman};

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

/// A scorer: the measured values of the nine subsets (or, for a partial scorer, of those
/// known).
#[derive(Debug, Clone, PartialEq)]
pub struct Scorer {
    subsets: Vec<(String, f64, SubsetData)>,
}

impl Scorer {
    /// A scorer from any of the nine subsets, named as in [`SUBSETS`]: per-subset
    /// correlations ([`Scorer::subset_scores`]) for those given, the weighted score only when
    /// all nine are ([`Scorer::is_complete`]). For data that say nothing about some subsets,
    /// such as a test file without subset columns.
    pub fn partial(mut data: HashMap<String, SubsetData>) -> Result<Self, Error> {
        let subsets = SUBSETS
            .iter()
            .filter_map(|&(name, weight)| data.remove(name).map(|d| (name.to_string(), weight, d)))
            .collect();
        if let Some(unknown) = data.keys().next() {
            return Err(Error::Invalid(format!(
                "'{unknown}' is not a DREAM subset (expected one of: {})",
                SUBSETS.map(|s| s.0).join(", ")
            )));
        }
        Ok(Scorer { subsets })
    }

    /// Whether all nine subsets are present, so [`Scorer::score`] can weight them.
    pub fn is_complete(&self) -> bool {
        self.subsets.len() == SUBSETS.len()
    }

    /// The subsets present, with their data, in [`SUBSETS`] order.
    pub fn subsets(&self) -> impl Iterator<Item = (&str, &SubsetData)> {
        self.subsets.iter().map(|(n, _, d)| (n.as_str(), d))
    }

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

    /// The same scorer on the indices `keep` accepts only: single subsets keep those rows,
    /// paired subsets the pairs whose two sequences are kept, and a subset left with fewer
    /// than three values is dropped (its correlation would say nothing). For scoring
    /// predictions of part of the test set, such as the rows a user just predicted.
    pub fn restricted_to(&self, keep: impl Fn(usize) -> bool) -> Scorer {
        let subsets = self
            .subsets
            .iter()
            .filter_map(|(name, weight, data)| {
                let data = match data {
                    SubsetData::Single(v) => {
                        SubsetData::Single(v.iter().copied().filter(|p| keep(p.0)).collect())
                    }
                    SubsetData::Pairs(v) => SubsetData::Pairs(
                        v.iter()
                            .copied()
                            .filter(|p| keep(p.0.0) && keep(p.0.1))
                            .collect(),
                    ),
                };
                let n = match &data {
                    SubsetData::Single(v) => v.len(),
                    SubsetData::Pairs(v) => v.len(),
                };
                (n >= 3).then(|| (name.clone(), *weight, data))
            })
            .collect();
        Scorer { subsets }
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
    /// Needs all nine subsets (see [`Scorer::partial`]).
    pub fn score(&self, prediction: impl Fn(usize) -> Option<f64>) -> Result<Report, Error> {
        if !self.is_complete() {
            let missing: Vec<&str> = SUBSETS
                .iter()
                .map(|s| s.0)
                .filter(|n| !self.subsets.iter().any(|(m, _, _)| m == n))
                .collect();
            return Err(Error::Invalid(format!(
                "the official score weights all nine subsets; missing: {}",
                missing.join(", ")
            )));
        }
        let subsets = self.subset_scores(prediction)?;
        let (mut ps, mut ss, mut wsum) = (0.0, 0.0, 0.0);
        for ((_, weight, _), (_, score)) in self.subsets.iter().zip(&subsets) {
            ps += weight * score.pearson * score.pearson;
            ss += weight * score.spearman;
            wsum += weight;
        }
        Ok(Report {
            subsets,
            pearson_score: ps / wsum,
            spearman_score: ss / wsum,
        })
    }

    /// Correlations on each subset present, in [`SUBSETS`] order; a missing prediction is an
    /// error naming the index, a subset whose correlation is undefined (fewer than two values,
    /// or constant) an error naming the subset.
    pub fn subset_scores(
        &self,
        prediction: impl Fn(usize) -> Option<f64>,
    ) -> Result<Vec<(String, SubsetScore)>, Error> {
        let get = |i: usize| {
            prediction(i).ok_or_else(|| Error::Invalid(format!("no prediction for test index {i}")))
        };
        let mut subsets = Vec::new();
        for (name, _, data) in &self.subsets {
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
            subsets.push((name.clone(), score));
        }
        Ok(subsets)
    }
}

/// The challenge's public-leaderboard files (index lists and `ground.json`, de Boer lab,
/// MIT-style licence), compiled in so the CLI and the browser can score offline.
pub const PUBLIC_LEADERBOARD_FILES: [(&str, &str); 9] = [
    (
        "ground.json",
        include_str!("../../tests/data/dream_public/ground.json"),
    ),
    (
        "high_exp_indices.json",
        include_str!("../../tests/data/dream_public/high_exp_indices.json"),
    ),
    (
        "low_exp_indices.json",
        include_str!("../../tests/data/dream_public/low_exp_indices.json"),
    ),
    (
        "yeast_exp_indices.json",
        include_str!("../../tests/data/dream_public/yeast_exp_indices.json"),
    ),
    (
        "random_exp_indices.json",
        include_str!("../../tests/data/dream_public/random_exp_indices.json"),
    ),
    (
        "challenging_exp_indices.json",
        include_str!("../../tests/data/dream_public/challenging_exp_indices.json"),
    ),
    (
        "SNVs_exp_indices.json",
        include_str!("../../tests/data/dream_public/SNVs_exp_indices.json"),
    ),
    (
        "motif_perturbation_exp_indices.json",
        include_str!("../../tests/data/dream_public/motif_perturbation_exp_indices.json"),
    ),
    (
        "motif_tiling_exp_indices.json",
        include_str!("../../tests/data/dream_public/motif_tiling_exp_indices.json"),
    ),
];

impl Scorer {
    /// The public-leaderboard scorer from the shipped files ([`PUBLIC_LEADERBOARD_FILES`]).
    pub fn shipped_public_leaderboard() -> Result<Self, Error> {
        Self::from_public_leaderboard(PUBLIC_LEADERBOARD_FILES)
    }
}

/// Number of sequences in the official DREAM 2022 test file (0-based indices `0..TEST_SIZE`).
pub const TEST_SIZE: usize = 71_103;

/// Single-sequence subsets besides `all`, as flag columns of a test TSV.
pub const FLAG_SUBSETS: [&str; 5] = ["high", "low", "yeast", "random", "challenging"];

/// Paired subsets, as `pairs_<subset>*.tsv` files of `alt_pos ref_pos [public]`.
pub const PAIR_SUBSETS: [&str; 3] = ["SNVs", "motif_perturbation", "motif_tiling"];

/// A pair of test indices `(alt, ref)` and whether its source marks it public.
type Pair = (usize, usize, bool);

/// The user's copy of measured DREAM test values and what is known of subset membership.
///
/// Read from a TSV ([`TestSet::parse`]) and pair lists ([`TestSet::add_pairs`]); turned into
/// the private-leaderboard scorer by [`TestSet::private_scorer`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestSet {
    measured: BTreeMap<usize, f64>,
    /// Test indices in file order (for predictions given as a plain list).
    order: Vec<usize>,
    /// Members of each flag subset, for the flag columns the file has.
    members: BTreeMap<String, BTreeSet<usize>>,
    /// Rows the file's `public` column marks as public-leaderboard rows.
    public: BTreeSet<usize>,
    pairs: BTreeMap<String, Vec<Pair>>,
}

/// Splits `text` into `(1-based line number, line)`, without line ends; blank lines at the end
/// are dropped, a blank line elsewhere is an error (it would shift row-numbered data).
fn data_lines<'a>(text: &'a str, what: &str) -> Result<Vec<(usize, &'a str)>, Error> {
    let mut lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .collect();
    while lines.last().is_some_and(|(_, l)| l.trim().is_empty()) {
        lines.pop();
    }
    if let Some((n, _)) = lines.iter().find(|(_, l)| l.trim().is_empty()) {
        return Err(Error::Invalid(format!("{what}, line {n}: blank line")));
    }
    Ok(lines)
}

fn column(header: &[&str], names: &[&str]) -> Option<usize> {
    header
        .iter()
        .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
}

fn field<'a>(fields: &[&'a str], col: usize, what: &str, line: usize) -> Result<&'a str, Error> {
    fields.get(col).map(|f| f.trim()).ok_or_else(|| {
        Error::Invalid(format!(
            "{what}, line {line}: {} fields, column {} missing",
            fields.len(),
            col + 1
        ))
    })
}

fn parse_index(text: &str, what: &str, line: usize) -> Result<usize, Error> {
    text.parse().map_err(|_| {
        Error::Invalid(format!(
            "{what}, line {line}: test index {text:?} is not a non-negative integer"
        ))
    })
}

fn parse_number(text: &str, what: &str, line: usize) -> Result<f64, Error> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| Error::Invalid(format!("{what}, line {line}: {text:?} is not a number")))
}

fn is_dna(text: &str) -> bool {
    text.len() >= 20 && text.bytes().all(|b| b"ACGTNacgtn".contains(&b))
}

impl TestSet {
    /// An empty test set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads measured values from TSV text in one of these forms:
    ///
    /// - a header naming `expr` (or `measured`), and optionally `idx` (without it, data row
    ///   `k`, 0-based, is test index `k`), the flag columns [`FLAG_SUBSETS`] (`1` = member)
    ///   and `public` (`1` = public-leaderboard row): the project's `dream_test_dev.tsv`
    ///   layout; other columns (`seq`, `group`, ...) are ignored;
    /// - no header, `seq<TAB>expr` on every line: the challenge's test file, line `k` (0-based)
    ///   being test index `k`;
    /// - no header, `idx<TAB>expr`.
    ///
    /// Errors name the 1-based line.
    pub fn parse(text: &str) -> Result<Self, Error> {
        const WHAT: &str = "measured values";
        let lines = data_lines(text, WHAT)?;
        let Some(&(_, first)) = lines.first() else {
            return Err(Error::Invalid(format!("{WHAT}: the file is empty")));
        };
        let header: Vec<&str> = first.split('\t').collect();
        let mut set = TestSet::new();
        if let Some(expr) = column(&header, &["expr", "measured"]) {
            let idx = column(&header, &["idx"]);
            let public = column(&header, &["public"]);
            let flags: Vec<(&str, usize)> = FLAG_SUBSETS
                .iter()
                .filter_map(|&n| column(&header, &[n]).map(|c| (n, c)))
                .collect();
            for &(name, _) in &flags {
                set.members.insert(name.to_string(), BTreeSet::new());
            }
            for (row, &(line, text)) in lines[1..].iter().enumerate() {
                let fields: Vec<&str> = text.split('\t').collect();
                let i = match idx {
                    Some(c) => parse_index(field(&fields, c, WHAT, line)?, WHAT, line)?,
                    None => row,
                };
                let value = parse_number(field(&fields, expr, WHAT, line)?, WHAT, line)?;
                set.insert_at(i, value, line)?;
                let flag = |c: usize, name: &str| -> Result<bool, Error> {
                    match field(&fields, c, WHAT, line)? {
                        "1" => Ok(true),
                        "0" => Ok(false),
                        other => Err(Error::Invalid(format!(
                            "{WHAT}, line {line}: column '{name}' is {other:?}, expected 0 or 1"
                        ))),
                    }
                };
                for &(name, c) in &flags {
                    if flag(c, name)? {
                        set.members.get_mut(name).expect("inserted above").insert(i);
                    }
                }
                if let Some(c) = public
                    && flag(c, "public")?
                {
                    set.public.insert(i);
                }
            }
        } else {
            let by_sequence = header.len() == 2 && is_dna(header[0].trim());
            for (row, &(line, text)) in lines.iter().enumerate() {
                let fields: Vec<&str> = text.split('\t').collect();
                if fields.len() != 2 {
                    return Err(Error::Invalid(format!(
                        "{WHAT}, line {line}: expected a header naming 'expr', or two columns \
                         (seq<TAB>expr as the challenge's test file, or idx<TAB>expr); found {} \
                         columns",
                        fields.len()
                    )));
                }
                let i = if by_sequence {
                    if !is_dna(fields[0].trim()) {
                        return Err(Error::Invalid(format!(
                            "{WHAT}, line {line}: {:?} is not a sequence (the file's first line \
                             is seq<TAB>expr)",
                            fields[0]
                        )));
                    }
                    row
                } else {
                    parse_index(fields[0].trim(), WHAT, line)?
                };
                let value = parse_number(fields[1].trim(), WHAT, line)?;
                set.insert_at(i, value, line)?;
            }
        }
        Ok(set)
    }

    fn insert_at(&mut self, idx: usize, value: f64, line: usize) -> Result<(), Error> {
        self.insert(idx, value)
            .map_err(|e| Error::Invalid(format!("measured values, line {line}: {e}")))
    }

    /// Adds a measured value; an index given twice is an error.
    pub fn insert(&mut self, idx: usize, value: f64) -> Result<(), Error> {
        if self.measured.insert(idx, value).is_some() {
            return Err(Error::Invalid(format!("test index {idx} appears twice")));
        }
        self.order.push(idx);
        Ok(())
    }

    /// Records that `idx` belongs to the flag subset `subset` (one of [`FLAG_SUBSETS`]).
    pub fn add_member(&mut self, subset: &str, idx: usize) -> Result<(), Error> {
        if !FLAG_SUBSETS.contains(&subset) {
            return Err(Error::Invalid(format!(
                "'{subset}' is not a flag subset (expected one of: {})",
                FLAG_SUBSETS.join(", ")
            )));
        }
        self.members
            .entry(subset.to_string())
            .or_default()
            .insert(idx);
        Ok(())
    }

    /// Reads a pair list for `subset` (one of [`PAIR_SUBSETS`]): lines `alt_pos ref_pos
    /// [public]` (tab-separated test indices; a header line is recognised by `alt_pos`). Pairs
    /// marked public (`1`) are kept out of the private score. Several lists for one subset are
    /// merged. Returns how many pairs were read; errors name the 1-based line.
    pub fn add_pairs(&mut self, subset: &str, text: &str) -> Result<usize, Error> {
        if !PAIR_SUBSETS.contains(&subset) {
            return Err(Error::Invalid(format!(
                "'{subset}' is not a paired subset (expected one of: {})",
                PAIR_SUBSETS.join(", ")
            )));
        }
        let what = format!("{subset} pairs");
        let lines = data_lines(text, &what)?;
        let mut cols = (0, 1, None);
        let mut body = &lines[..];
        if let Some(&(_, first)) = lines.first() {
            let header: Vec<&str> = first.split('\t').collect();
            if let Some(alt) = column(&header, &["alt_pos", "alt"]) {
                let r = column(&header, &["ref_pos", "ref"]).ok_or_else(|| {
                    Error::Invalid(format!("{what}, line 1: a header without 'ref_pos'"))
                })?;
                cols = (alt, r, column(&header, &["public"]));
                body = &lines[1..];
            }
        }
        let list = self.pairs.entry(subset.to_string()).or_default();
        for &(line, text) in body {
            let fields: Vec<&str> = text.split('\t').collect();
            let alt = parse_index(field(&fields, cols.0, &what, line)?, &what, line)?;
            let r = parse_index(field(&fields, cols.1, &what, line)?, &what, line)?;
            let public = match cols.2 {
                Some(c) => match field(&fields, c, &what, line)? {
                    "1" => true,
                    "0" => false,
                    other => {
                        return Err(Error::Invalid(format!(
                            "{what}, line {line}: column 'public' is {other:?}, expected 0 or 1"
                        )));
                    }
                },
                None => false,
            };
            list.push((alt, r, public));
        }
        Ok(body.len())
    }

    /// Number of measured values.
    pub fn len(&self) -> usize {
        self.measured.len()
    }

    /// Whether there are no measured values.
    pub fn is_empty(&self) -> bool {
        self.measured.is_empty()
    }

    /// The measured value of a test index.
    pub fn measured(&self, idx: usize) -> Option<f64> {
        self.measured.get(&idx).copied()
    }

    /// Test indices in the order the file gave them.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The flag subsets the file has columns for.
    pub fn flag_subsets(&self) -> impl Iterator<Item = &str> {
        self.members.keys().map(String::as_str)
    }

    /// The paired subsets with at least one pair list.
    pub fn pair_subsets(&self) -> impl Iterator<Item = &str> {
        self.pairs.keys().map(String::as_str)
    }

    /// A scorer over the rows `keep` accepts, public or not: every subset these data describe
    /// (a pair counts when both its sequences are kept; repeated pairs count once; subsets
    /// left empty are absent, so the scorer may be partial).
    ///
    /// For predictions that exist for every row and never saw a row's relatives, such as the
    /// out-of-fold predictions of a cross-validation by `group`: there the public rows are
    /// held out like any other, so nothing needs to be dropped.
    pub fn scorer_where(&self, keep: impl Fn(usize) -> bool) -> Result<Scorer, Error> {
        let mut data = HashMap::new();
        let single = |indices: &mut dyn Iterator<Item = usize>| -> Vec<(usize, f64)> {
            indices
                .filter(|&i| keep(i))
                .filter_map(|i| self.measured(i).map(|v| (i, v)))
                .collect()
        };
        let all = single(&mut self.measured.keys().copied());
        if !all.is_empty() {
            data.insert("all".to_string(), SubsetData::Single(all));
        }
        for (name, members) in &self.members {
            let values = single(&mut members.iter().copied());
            if !values.is_empty() {
                data.insert(name.clone(), SubsetData::Single(values));
            }
        }
        for (name, list) in &self.pairs {
            let mut seen = BTreeSet::new();
            let pairs: Vec<_> = list
                .iter()
                .filter(|&&(a, r, _)| keep(a) && keep(r) && seen.insert((a, r)))
                .filter_map(|&(a, r, _)| Some(((a, r), (self.measured(a)?, self.measured(r)?))))
                .collect();
            if !pairs.is_empty() {
                data.insert(name.clone(), SubsetData::Pairs(pairs));
            }
        }
        Scorer::partial(data)
    }

    /// Whether the file marks test index `idx` as a public-leaderboard row.
    pub fn is_public(&self, idx: usize) -> bool {
        self.public.contains(&idx)
    }

    /// The private-leaderboard scorer with [`PairRule::AnyPublicIndex`]: **every index that
    /// appears in a public file is dropped**, as the project's data README states the rule.
    pub fn private_scorer(&self, public: &Scorer) -> Result<Scorer, Error> {
        self.private_scorer_with(public, PairRule::AnyPublicIndex)
    }

    /// The private-leaderboard scorer: every subset these data describe, without the sequences
    /// of the public leaderboard (the indices of `public`, the public-leaderboard scorer, and
    /// rows this file marks public). Pairs are dropped as `rule` says, and also when their list
    /// marks them public or a measured value is missing; repeated pairs count once. `all` is
    /// every remaining measured sequence; subsets the data say nothing about (no flag column,
    /// no pair list) or left empty are absent, so the scorer is partial unless all nine are
    /// known (see [`Scorer::is_complete`]).
    pub fn private_scorer_with(&self, public: &Scorer, rule: PairRule) -> Result<Scorer, Error> {
        let excluded: BTreeSet<usize> = public
            .indices()
            .into_iter()
            .chain(self.public.iter().copied())
            .collect();
        let keep = |i: &usize| !excluded.contains(i);
        let single = |indices: &mut dyn Iterator<Item = usize>| -> Vec<(usize, f64)> {
            indices
                .filter(keep)
                .filter_map(|i| self.measured(i).map(|v| (i, v)))
                .collect()
        };
        let mut data = HashMap::new();
        let all = single(&mut self.measured.keys().copied());
        if !all.is_empty() {
            data.insert("all".to_string(), SubsetData::Single(all));
        }
        for (name, members) in &self.members {
            let values = single(&mut members.iter().copied());
            if !values.is_empty() {
                data.insert(name.clone(), SubsetData::Single(values));
            }
        }
        for (name, list) in &self.pairs {
            let listed: BTreeSet<(usize, usize)> = public
                .subsets()
                .filter(|(n, _)| n == name)
                .flat_map(|(_, d)| match d {
                    SubsetData::Pairs(v) => v.iter().map(|p| p.0).collect::<Vec<_>>(),
                    SubsetData::Single(_) => Vec::new(),
                })
                .collect();
            let private = |a: usize, r: usize| match rule {
                PairRule::AnyPublicIndex => keep(&a) && keep(&r),
                PairRule::PublicPair => keep(&a) && !listed.contains(&(a, r)),
            };
            let mut seen = BTreeSet::new();
            let pairs: Vec<_> = list
                .iter()
                .filter(|&&(a, r, public)| !public && private(a, r))
                .filter(|&&(a, r, _)| seen.insert((a, r)))
                .filter_map(|&(a, r, _)| Some(((a, r), (self.measured(a)?, self.measured(r)?))))
                .collect();
            if !pairs.is_empty() {
                data.insert(name.clone(), SubsetData::Pairs(pairs));
            }
        }
        Scorer::partial(data)
    }
}

/// Which pairs of a paired subset count as private.
///
/// The motif subsets compare many designed sequences with a few native references, and the
/// challenge put every reference in a public file: under [`PairRule::AnyPublicIndex`] no
/// private motif pair is left (with the project's `pairs_motif_*.tsv`, 0 of 2,959 and 0 of
/// 2,361), so the weighted private score cannot be formed. [`PairRule::PublicPair`] keeps a
/// pair unless the pair itself is public. Which one the challenge used for its final
/// leaderboard is not documented in the files shipped here; neither is called official.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PairRule {
    /// Drop a pair when either of its sequences appears in a public file (the rule as the
    /// project's data README states it).
    #[default]
    AnyPublicIndex,
    /// Drop a pair when it is listed in the public file of its subset, or its alternative
    /// (designed or mutated) sequence appears in a public file; a public reference sequence
    /// alone does not make a pair public.
    PublicPair,
}

/// How plain-list predictions were matched to test indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alignment {
    /// Each line named its test index.
    ByIndex,
    /// Line `k` (0-based) is test index `k`: one prediction per test sequence.
    TestOrder,
    /// Line `k` is the `k`-th row of the measured file: as many predictions as it has rows.
    MeasuredOrder,
}

/// One prediction as read: its 1-based line, test index (if the file gives it) and value
/// (`None` for `NA`, as `camformer predict` writes for rejected records).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictionLine {
    /// 1-based line in the file.
    pub line: usize,
    /// Test index, when the file names it.
    pub idx: Option<usize>,
    /// The prediction; `None` for `NA`/`NaN`.
    pub value: Option<f64>,
}

/// Predictions for the DREAM test set, as read from a file ([`Predictions::parse`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    lines: Vec<PredictionLine>,
}

impl Predictions {
    /// Reads predictions in one of these forms:
    ///
    /// - one number per line, in test order (see [`Predictions::resolve`]);
    /// - `idx<TAB>prediction` lines, no header;
    /// - a TSV whose header names `prediction` and `idx` (or `name`, whose values must then be
    ///   test indices, as `camformer predict` writes for the DREAM test TSV); without either, a
    ///   `prediction` column in test order.
    ///
    /// `NA`/`NaN` values are kept as missing (an index the scorer needs then fails, naming
    /// it). Errors name the 1-based line.
    pub fn parse(text: &str) -> Result<Self, Error> {
        const WHAT: &str = "predictions";
        let lines = data_lines(text, WHAT)?;
        let Some(&(_, first)) = lines.first() else {
            return Err(Error::Invalid(format!("{WHAT}: the file is empty")));
        };
        let value = |text: &str, line: usize| -> Result<Option<f64>, Error> {
            if ["na", "nan"].contains(&text.to_ascii_lowercase().as_str()) {
                Ok(None)
            } else {
                parse_number(text, WHAT, line).map(Some)
            }
        };
        let header: Vec<&str> = first.split('\t').collect();
        let mut out = Vec::with_capacity(lines.len());
        if let Some(pred) = column(&header, &["prediction"]) {
            let idx = column(&header, &["idx"]).or_else(|| column(&header, &["name"]));
            for &(line, text) in &lines[1..] {
                let fields: Vec<&str> = text.split('\t').collect();
                let idx = match idx {
                    Some(c) => Some(parse_index(field(&fields, c, WHAT, line)?, WHAT, line)?),
                    None => None,
                };
                let value = value(field(&fields, pred, WHAT, line)?, line)?;
                out.push(PredictionLine { line, idx, value });
            }
        } else {
            let columns = header.len();
            for &(line, text) in &lines {
                let fields: Vec<&str> = text.split('\t').map(str::trim).collect();
                let entry = match (columns, fields.as_slice()) {
                    (1, [v]) => PredictionLine {
                        line,
                        idx: None,
                        value: value(v, line)?,
                    },
                    (2, [i, v]) => PredictionLine {
                        line,
                        idx: Some(parse_index(i, WHAT, line)?),
                        value: value(v, line)?,
                    },
                    _ => {
                        return Err(Error::Invalid(format!(
                            "{WHAT}, line {line}: {} columns; expected one number per line, \
                             idx<TAB>prediction, or a header naming 'prediction'{}",
                            fields.len(),
                            if fields.len() != columns {
                                format!(" (line {} has {columns})", lines[0].0)
                            } else {
                                String::new()
                            }
                        )));
                    }
                };
                out.push(entry);
            }
        }
        Ok(Predictions { lines: out })
    }

    /// The predictions as read.
    pub fn lines(&self) -> &[PredictionLine] {
        &self.lines
    }

    /// Number of predictions (lines of data).
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Lines whose value is `NA`.
    pub fn missing_lines(&self) -> Vec<usize> {
        self.lines
            .iter()
            .filter(|l| l.value.is_none())
            .map(|l| l.line)
            .collect()
    }

    /// Predictions by test index. Lines that name their index use it (an index given twice is
    /// an error naming both lines). A plain list is matched by position: to the rows of the
    /// measured file when it has exactly as many (the challenge's own test file has all
    /// [`TEST_SIZE`] rows in test order, so both readings agree for it), otherwise to test
    /// indices `0..TEST_SIZE` when it has [`TEST_SIZE`] lines; any other length is an error,
    /// since guessing would silently mis-pair predictions and measurements.
    pub fn resolve(&self, test: &TestSet) -> Result<(HashMap<usize, f64>, Alignment), Error> {
        let mut out = HashMap::with_capacity(self.lines.len());
        let named = self.lines.iter().all(|l| l.idx.is_some());
        let alignment = if named {
            let mut first_line = HashMap::with_capacity(self.lines.len());
            for l in &self.lines {
                let idx = l.idx.expect("checked above");
                if let Some(prev) = first_line.insert(idx, l.line) {
                    return Err(Error::Invalid(format!(
                        "predictions: test index {idx} appears twice (lines {prev} and {})",
                        l.line
                    )));
                }
            }
            Alignment::ByIndex
        } else if self.lines.len() == test.order().len() {
            Alignment::MeasuredOrder
        } else if self.lines.len() == TEST_SIZE {
            Alignment::TestOrder
        } else {
            return Err(Error::Invalid(format!(
                "predictions: {} values without test indices; a plain list needs one per test \
                 sequence ({TEST_SIZE}) or one per row of the measured file ({}); otherwise give \
                 idx<TAB>prediction",
                self.lines.len(),
                test.order().len()
            )));
        };
        for (k, l) in self.lines.iter().enumerate() {
            let idx = match alignment {
                Alignment::ByIndex => l.idx.expect("checked above"),
                Alignment::MeasuredOrder => test.order()[k],
                Alignment::TestOrder => k,
            };
            if let Some(v) = l.value {
                out.insert(idx, v);
            }
        }
        Ok((out, alignment))
    }
}
