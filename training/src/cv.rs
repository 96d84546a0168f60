//! Cross-validation by DREAM `group`: the project's leak-free yardstick.
//!
//! Sequences joined by an SNV, motif-perturbation or motif-tiling pair share a `group`, and a
//! model that trained on one member of a group has effectively seen the others (they differ by
//! a base or a motif). So the folds are made of whole groups: every prediction in the
//! out-of-fold file comes from a model that saw no row of that sequence's group, and the paired
//! subsets of the DREAM score (both members in one group) fall inside one fold.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use camformer::engine::files;
use camformer::score::dream::{SubsetScore, TestSet};

use crate::data::{Dataset, Rng, subsample};
use crate::predict::{predict_dataset, predict_reverse_strand, strand_mean};
use crate::train::{self, ExportInfo, TrainConfig};

/// Assigns every row of `data` to one of `k` folds, whole groups at a time.
///
/// Groups are shuffled with `seed`, then placed largest first, each into the fold with the
/// fewest rows so far, so folds differ in size by at most one group's rows. A row without a
/// group is a group of its own.
pub fn group_folds(data: &Dataset, k: usize, seed: u64) -> Result<Vec<usize>> {
    if k < 2 {
        bail!("cross-validation needs at least 2 folds, not {k}");
    }
    let mut rows_of: HashMap<GroupKey, Vec<usize>> = HashMap::new();
    for (row, group) in data.groups.iter().enumerate() {
        let key = match group {
            Some(g) => GroupKey::Group(*g),
            None => GroupKey::Row(row),
        };
        rows_of.entry(key).or_default().push(row);
    }
    if rows_of.len() < k {
        bail!("{} groups cannot fill {k} folds", rows_of.len());
    }
    let mut groups: Vec<(GroupKey, Vec<usize>)> = rows_of.into_iter().collect();
    // HashMap order is random: sort first so that the shuffle alone decides.
    groups.sort_unstable_by_key(|(key, _)| *key);
    Rng(seed).shuffle(&mut groups);
    // Stable: equal sizes keep their shuffled order.
    groups.sort_by_key(|(_, rows)| std::cmp::Reverse(rows.len()));
    let mut fold_of = vec![0; data.len()];
    let mut sizes = vec![0usize; k];
    for (_, rows) in groups {
        let fold = (0..k).min_by_key(|&f| (sizes[f], f)).expect("k >= 2");
        sizes[fold] += rows.len();
        for row in rows {
            fold_of[row] = fold;
        }
    }
    Ok(fold_of)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum GroupKey {
    Group(u64),
    Row(usize),
}

/// One held-out prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OofRow {
    /// Row of the data file (0-based, data rows only).
    pub row: usize,
    /// The row's `idx` (test index), when the file has one.
    pub idx: Option<usize>,
    /// Fold the row was held out in.
    pub fold: usize,
    /// Measured value.
    pub measured: f32,
    /// Prediction of the model that did not train on the row's group.
    pub prediction: f32,
}

/// Where fold `fold`'s run lives under `out`.
pub fn fold_dir(out: &Path, fold: usize) -> PathBuf {
    out.join(format!("fold-{fold}"))
}

/// One cross-validation: the rows, their folds, and how every fold is trained and predicted.
#[derive(Debug, Clone)]
pub struct CrossValidation<'a> {
    /// Every row, the held-out ones included.
    pub data: &'a Dataset,
    /// The fold of each row of `data` ([`group_folds`]).
    pub folds: &'a [usize],
    /// Fraction of the training folds split off (by group, seeded) for early stopping and the
    /// plateau schedule.
    pub val_fraction: f64,
    /// Train on a seeded random subset of this many of the training rows (the learning
    /// curve); the held-out fold is unchanged.
    pub subset: Option<usize>,
    /// The run's directory: fold K lives in `fold-K/` ([`fold_dir`]).
    pub out: &'a Path,
    /// Continue an interrupted fold from its checkpoint.
    pub resume: bool,
    /// The device that trains and predicts.
    pub device: Device,
}

impl CrossValidation<'_> {
    /// Runs fold `fold`: trains on the rows of the other folds, then predicts the held-out
    /// rows with the best epoch's model and writes them to `fold-K/oof.tsv` (with
    /// `config.reverse_complement`, the strand mean, and the forward strand alone to
    /// `fold-K/oof-forward.tsv`).
    ///
    /// A fold whose `oof.tsv` exists is finished: its rows are read back, nothing is trained.
    pub fn run_fold(
        &self,
        config: TrainConfig,
        fold: usize,
        info: &ExportInfo,
    ) -> Result<Vec<OofRow>> {
        let &Self {
            data,
            folds,
            val_fraction,
            subset,
            out,
            resume,
            ref device,
        } = self;
        let dir = fold_dir(out, fold);
        let done = dir.join("oof.tsv");
        if done.exists() {
            // A finished fold (possibly stopped early, which `resume` would otherwise continue).
            eprintln!("fold {fold}: already done ({})", done.display());
            return read_oof(&done);
        }
        let (held_out, rest): (Vec<usize>, Vec<usize>) =
            (0..data.len()).partition(|&i| folds[i] == fold);
        if held_out.is_empty() {
            bail!("fold {fold} has no rows");
        }
        // `--init` and the teachers name other cross-validations: each fold continues, or
        // learns from, the same fold's models there, so no fold starts from weights or labels
        // that saw its held-out rows.
        let config = TrainConfig {
            init: config.init.as_deref().map(|d| fold_dir(d, fold)),
            distill: config
                .distill
                .as_ref()
                .map(|d| d.map_teachers(|t| fold_dir(t, fold))),
            ..config
        };
        let rest_set = data.subset(&rest);
        let (train_rows, val_rows) = rest_set.split(val_fraction, config.seed);
        let train_rows = subsample(train_rows, subset, config.seed);
        let (train_set, val_set) = (rest_set.subset(&train_rows), rest_set.subset(&val_rows));
        eprintln!(
            "fold {fold}: training on {} rows, early stopping on {}, predicting {} held-out rows",
            train_set.len(),
            val_set.len(),
            held_out.len()
        );
        let both_strands = config.reverse_complement;
        train::train(
            config,
            &train_set,
            &val_set,
            &dir,
            resume,
            device.clone(),
            info,
        )?;
        let predictor = files::load(&dir, None, device.clone())?;
        let test = data.subset(&held_out);
        let oof_rows = |predictions: &[f32]| -> Vec<OofRow> {
            held_out
                .iter()
                .zip(predictions)
                .map(|(&row, &prediction)| OofRow {
                    row,
                    idx: data.idx[row],
                    fold,
                    measured: data.targets[row],
                    prediction,
                })
                .collect()
        };
        let forward = predict_dataset(&predictor, &test)?;
        let predictions = if both_strands {
            // The forward strand alone too, to measure what averaging the strands adds.
            write_oof(&dir.join("oof-forward.tsv"), &oof_rows(&forward))?;
            strand_mean(&forward, &predict_reverse_strand(&predictor, &test)?)
        } else {
            forward
        };
        let rows = oof_rows(&predictions);
        write_oof(&dir.join("oof.tsv"), &rows)?;
        Ok(rows)
    }
}

/// Writes out-of-fold rows as TSV: `row idx fold measured prediction` (`idx` empty when unknown).
pub fn write_oof(path: &Path, rows: &[OofRow]) -> Result<()> {
    let mut text = String::from("row\tidx\tfold\tmeasured\tprediction\n");
    for r in rows {
        let idx = r.idx.map(|i| i.to_string()).unwrap_or_default();
        writeln!(
            text,
            "{}\t{idx}\t{}\t{}\t{}",
            r.row, r.fold, r.measured, r.prediction
        )
        .expect("writing to a String");
    }
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Reads a file written by [`write_oof`].
pub fn read_oof(path: &Path) -> Result<Vec<OofRow>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let bad = || {
            format!(
                "{}, line {}: malformed out-of-fold row",
                path.display(),
                n + 1
            )
        };
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 5 {
            bail!(bad());
        }
        rows.push(OofRow {
            row: f[0].parse().with_context(bad)?,
            idx: if f[1].is_empty() {
                None
            } else {
                Some(f[1].parse().with_context(bad)?)
            },
            fold: f[2].parse().with_context(bad)?,
            measured: f[3].parse().with_context(bad)?,
            prediction: f[4].parse().with_context(bad)?,
        });
    }
    Ok(rows)
}

/// The ensemble of several cross-validations' out-of-fold predictions: each row's mean
/// prediction. The members must hold the same rows, each in the same fold (the same fold
/// assignment), so that the mean is still out-of-fold: no member saw the row's group.
pub fn ensemble(members: &[Vec<OofRow>]) -> Result<Vec<OofRow>> {
    let Some((first, rest)) = members.split_first() else {
        bail!("an ensemble needs at least one member");
    };
    let mut sorted = first.clone();
    sorted.sort_by_key(|r| r.row);
    let mut sums: Vec<f64> = sorted.iter().map(|r| r.prediction as f64).collect();
    for (m, member) in rest.iter().enumerate() {
        let mut other = member.clone();
        other.sort_by_key(|r| r.row);
        if other.len() != sorted.len() {
            bail!(
                "ensemble member {} has {} rows, member 1 has {}",
                m + 2,
                other.len(),
                sorted.len()
            );
        }
        for ((a, b), sum) in sorted.iter().zip(&other).zip(&mut sums) {
            if a.row != b.row || a.fold != b.fold || a.idx != b.idx {
                bail!(
                    "ensemble member {}: row {} (fold {}) does not match member 1's row {} (fold {}): were they made with the same data file and folds?",
                    m + 2,
                    b.row,
                    b.fold,
                    a.row,
                    a.fold
                );
            }
            *sum += b.prediction as f64;
        }
    }
    let n = members.len() as f64;
    Ok(sorted
        .into_iter()
        .zip(sums)
        .map(|(r, sum)| OofRow {
            prediction: (sum / n) as f32,
            ..r
        })
        .collect())
}

/// Gathers the folds' `oof.tsv` files under `out` into one list in row order, if every fold
/// of `k` has finished; `None` while some fold has no file yet.
pub fn gather(out: &Path, k: usize, rows: usize) -> Result<Option<Vec<OofRow>>> {
    let mut all = Vec::with_capacity(rows);
    for fold in 0..k {
        let path = fold_dir(out, fold).join("oof.tsv");
        if !path.exists() {
            return Ok(None);
        }
        all.extend(read_oof(&path)?);
    }
    check_coverage(out, &mut all, Some(rows))?;
    Ok(Some(all))
}

/// The out-of-fold predictions of a `cv` directory: its pooled `oof.tsv` when there is one,
/// otherwise the `fold-0/oof.tsv`, `fold-1/oof.tsv`, ... files (every `fold-K` directory must
/// have finished), which must cover rows `0..n` exactly once between them. The second form
/// scores folds copied out of a run (as committed under `docs/results/`) without re-pooling.
pub fn read_cv_dir(dir: &Path) -> Result<Vec<OofRow>> {
    let pooled = dir.join("oof.tsv");
    if pooled.exists() {
        return read_oof(&pooled);
    }
    let mut all = Vec::new();
    let mut fold = 0;
    while fold_dir(dir, fold).is_dir() {
        let path = fold_dir(dir, fold).join("oof.tsv");
        if !path.exists() {
            bail!(
                "{} has no out-of-fold predictions: fold {fold} has not finished",
                path.display()
            );
        }
        all.extend(read_oof(&path)?);
        fold += 1;
    }
    if fold == 0 {
        bail!(
            "{} has neither oof.tsv nor fold-0/oof.tsv: not a cross-validation directory",
            dir.display()
        );
    }
    check_coverage(dir, &mut all, None)?;
    Ok(all)
}

/// Sorts `all` by row and checks that it covers rows `0..rows` (`0..all.len()` when `rows` is
/// not known) exactly once.
fn check_coverage(dir: &Path, all: &mut [OofRow], rows: Option<usize>) -> Result<()> {
    all.sort_by_key(|r| r.row);
    let rows = rows.unwrap_or(all.len());
    if all.len() != rows || all.iter().enumerate().any(|(i, r)| r.row != i) {
        bail!(
            "the folds' oof.tsv files under {} do not cover the {rows} rows exactly once (were they made from another data file or fold count?)",
            dir.display()
        );
    }
    Ok(())
}

/// The scores of one model's predictions on the cross-validated rows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelScores {
    /// Model (column) name.
    pub name: String,
    /// Every DREAM subset on all rows: `(subset, pearson r, spearman rho, n)`.
    pub subsets: Vec<(String, f64, f64, usize)>,
    /// The official weighted Pearson score (weighted mean of r²) over all rows, when all nine
    /// subsets are present.
    pub pearson_score: Option<f64>,
    /// The official weighted Spearman score over all rows.
    pub spearman_score: Option<f64>,
    /// The public-leaderboard rows only: `(subset, r, rho, n)` for `all` and `random`.
    pub public: Vec<(String, f64, f64, usize)>,
}

/// Scores each model of `models` (predictions by test index) on the rows that every model
/// predicts: all nine DREAM subsets (paired subsets: pairs with both members predicted, which
/// a cross-validation by group keeps inside one fold), the official weighted scores, and the
/// public-leaderboard rows alone.
pub fn score_models(
    test: &TestSet,
    models: &[(String, HashMap<usize, f64>)],
) -> Result<Vec<ModelScores>> {
    let shared = |i: usize| models.iter().all(|(_, p)| p.contains_key(&i));
    let everything = test.scorer_where(shared)?;
    let public = test.scorer_where(|i| shared(i) && test.is_public(i))?;
    let flat = |scores: Vec<(String, SubsetScore)>, only: &[&str]| {
        scores
            .into_iter()
            .filter(|(n, _)| only.is_empty() || only.contains(&n.as_str()))
            .map(|(n, s)| (n, s.pearson, s.spearman, s.n))
            .collect::<Vec<_>>()
    };
    models
        .iter()
        .map(|(name, p)| {
            let get = |i: usize| p.get(&i).copied();
            let (pearson_score, spearman_score) = if everything.is_complete() {
                let r = everything.score(get)?;
                (Some(r.pearson_score), Some(r.spearman_score))
            } else {
                (None, None)
            };
            Ok(ModelScores {
                name: name.clone(),
                subsets: flat(everything.subset_scores(get)?, &[]),
                pearson_score,
                spearman_score,
                public: flat(public.subset_scores(get)?, &["all", "random"]),
            })
        })
        .collect()
}

/// A Markdown table of [`score_models`]' results: r² and ρ on all rows, Pearson r per subset,
/// the official scores, and r² / ρ on the public-leaderboard rows.
pub fn markdown(scores: &[ModelScores]) -> String {
    let Some(first) = scores.first() else {
        return String::new();
    };
    let mut out = String::from("| model | n | r² | ρ |");
    let subsets: Vec<&str> = first.subsets.iter().skip(1).map(|s| s.0.as_str()).collect();
    for s in &subsets {
        out += &format!(" {s} r |");
    }
    out += " PearsonScore | SpearmanScore | public r² | public ρ | public random r² |\n|---|---|---|---|";
    out += &"---|".repeat(subsets.len() + 5);
    out.push('\n');
    let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    for m in scores {
        let all = &m.subsets[0];
        out += &format!(
            "| {} | {} | {:.3} | {:.3} |",
            m.name,
            all.3,
            all.1 * all.1,
            all.2
        );
        for s in m.subsets.iter().skip(1) {
            out += &format!(" {:.3} |", s.1);
        }
        let public = |name: &str| m.public.iter().find(|s| s.0 == name);
        out += &format!(
            " {} | {} | {} | {} | {} |\n",
            opt(m.pearson_score),
            opt(m.spearman_score),
            opt(public("all").map(|s| s.1 * s.1)),
            opt(public("all").map(|s| s.2)),
            opt(public("random").map(|s| s.1 * s.1)),
        );
    }
    out
}

/// [`score_models`]' results as the manifest's `metrics.cross_validation` entry (what
/// `cv-report --json` writes): the first model's scores with named fields, the other models'
/// (the published models' predictions on the same rows) under
/// `published_models_on_the_same_rows`, and a sentence saying what the numbers are.
/// `folds` is the number of folds the out-of-fold predictions came from.
pub fn manifest_metrics(scores: &[ModelScores], folds: usize) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let subset = |&(_, r, rho, n): &(String, f64, f64, usize)| json!({ "n": n, "pearson_r": r, "r2": r * r, "spearman": rho });
    let one = |m: &ModelScores| -> Map<String, Value> {
        let mut o = Map::new();
        if let Some(all) = m.subsets.first()
            && let Value::Object(all) = subset(all)
        {
            o.extend(all);
        }
        o.insert("pearson_score".into(), json!(m.pearson_score));
        o.insert("spearman_score".into(), json!(m.spearman_score));
        let named = |list: &[(String, f64, f64, usize)]| -> Map<String, Value> {
            list.iter().map(|s| (s.0.clone(), subset(s))).collect()
        };
        o.insert("subsets".into(), Value::Object(named(&m.subsets)));
        o.insert(
            "public_leaderboard_rows".into(),
            Value::Object(named(&m.public)),
        );
        o
    };
    let Some((first, others)) = scores.split_first() else {
        return json!({});
    };
    let mut out = Map::new();
    out.insert(
        "evaluation".into(),
        json!(format!(
            "out-of-fold predictions of {folds}-fold cross-validation by DREAM group: each row \
             predicted by the model of the fold that held out its whole group (SNV and motif \
             pairs included), so no prediction comes from a model that saw the sequence or a \
             relative"
        )),
    );
    out.insert("folds".into(), json!(folds));
    out.extend(one(first));
    if !others.is_empty() {
        out.insert(
            "published_models_on_the_same_rows".into(),
            Value::Object(
                others
                    .iter()
                    .map(|m| (m.name.clone(), Value::Object(one(m))))
                    .collect(),
            ),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(groups: &[Option<u64>]) -> Dataset {
        let mut d = Dataset::default();
        for (i, g) in groups.iter().enumerate() {
            let c = camformer::input::sequence::prepare(&"ACGT".repeat(20))
                .unwrap()
                .0;
            d.seqs.push(crate::data::Packed::pack(&c));
            d.targets.push(i as f32);
            d.groups.push(*g);
            d.idx.push(Some(i));
            d.random.push(false);
        }
        d
    }

    #[test]
    fn folds_keep_groups_whole_and_balance_rows() {
        let groups: Vec<Option<u64>> = (0..1000)
            .map(|i| if i % 10 == 0 { None } else { Some(i / 7) })
            .collect();
        let d = dataset(&groups);
        let folds = group_folds(&d, 5, 3).unwrap();
        assert_eq!(folds, group_folds(&d, 5, 3).unwrap(), "seeded");
        assert_ne!(folds, group_folds(&d, 5, 4).unwrap(), "the seed matters");
        for i in 0..d.len() {
            for j in 0..d.len() {
                if groups[i].is_some() && groups[i] == groups[j] {
                    assert_eq!(folds[i], folds[j], "group split across folds");
                }
            }
        }
        let mut sizes = [0usize; 5];
        for &f in &folds {
            sizes[f] += 1;
        }
        let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        assert!(max - min <= 7, "unbalanced folds {sizes:?}");
    }

    #[test]
    fn too_few_groups_or_folds_are_errors() {
        let d = dataset(&[Some(1), Some(1), Some(2)]);
        assert!(group_folds(&d, 3, 0).is_err());
        assert!(group_folds(&d, 1, 0).is_err());
        assert!(group_folds(&d, 2, 0).is_ok());
    }

    #[test]
    fn oof_files_round_trip_and_gather_checks_coverage() {
        let dir = tempfile::tempdir().unwrap();
        let row = |row, fold| OofRow {
            row,
            idx: (row != 1).then_some(row * 10),
            fold,
            measured: row as f32 * 0.5,
            prediction: -(row as f32),
        };
        fs::create_dir_all(fold_dir(dir.path(), 0)).unwrap();
        fs::create_dir_all(fold_dir(dir.path(), 1)).unwrap();
        write_oof(
            &fold_dir(dir.path(), 0).join("oof.tsv"),
            &[row(2, 0), row(0, 0)],
        )
        .unwrap();
        assert!(
            gather(dir.path(), 2, 3).unwrap().is_none(),
            "fold 1 missing"
        );
        write_oof(&fold_dir(dir.path(), 1).join("oof.tsv"), &[row(1, 1)]).unwrap();
        let all = gather(dir.path(), 2, 3).unwrap().unwrap();
        assert_eq!(all, vec![row(0, 0), row(1, 1), row(2, 0)]);
        assert!(gather(dir.path(), 2, 4).is_err(), "a row not covered");

        // Without a pooled file the folds are read and pooled; with one, it is read as it is.
        assert_eq!(read_cv_dir(dir.path()).unwrap(), all);
        write_oof(&dir.path().join("oof.tsv"), &all[..1]).unwrap();
        assert_eq!(read_cv_dir(dir.path()).unwrap(), all[..1]);
        fs::remove_file(dir.path().join("oof.tsv")).unwrap();
        // An unfinished fold, a row covered twice and an empty directory are named errors.
        fs::create_dir_all(fold_dir(dir.path(), 2)).unwrap();
        let err = read_cv_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("fold 2 has not finished"), "{err}");
        write_oof(&fold_dir(dir.path(), 2).join("oof.tsv"), &[row(1, 2)]).unwrap();
        let err = read_cv_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("exactly once"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        let err = read_cv_dir(empty.path()).unwrap_err().to_string();
        assert!(err.contains("not a cross-validation directory"), "{err}");
    }

    #[test]
    fn scores_cover_every_subset_and_the_public_rows_alone() {
        // 40 rows: idx 0-39, flags in turn, every 4th public; SNV pairs (2k+1, 2k).
        let mut text = String::from("idx\texpr\thigh\tlow\tyeast\trandom\tchallenging\tpublic\n");
        for i in 0..40usize {
            let flag = |k: usize| u8::from(i % 5 == k || i % 7 == k);
            let value = (i as f64 * 0.37).sin() + i as f64 / 40.0;
            text += &format!(
                "{i}\t{value}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                flag(0),
                flag(1),
                flag(2),
                flag(3),
                flag(4),
                u8::from(i % 4 == 0)
            );
        }
        let mut test = TestSet::parse(&text).unwrap();
        for subset in ["SNVs", "motif_perturbation", "motif_tiling"] {
            let pairs: String = (0..20)
                .map(|k| format!("{}\t{}\n", 2 * k + 1, 2 * k))
                .collect();
            test.add_pairs(subset, &format!("alt_pos\tref_pos\n{pairs}"))
                .unwrap();
        }
        let truth: HashMap<usize, f64> = (0..40).map(|i| (i, test.measured(i).unwrap())).collect();
        let noisy: HashMap<usize, f64> = truth
            .iter()
            .map(|(&i, &v)| (i, v + if i % 3 == 0 { 0.3 } else { -0.2 }))
            .collect();
        let scores =
            score_models(&test, &[("perfect".into(), truth), ("noisy".into(), noisy)]).unwrap();
        let perfect = &scores[0];
        assert_eq!(perfect.subsets.len(), 9, "all nine subsets");
        assert_eq!(perfect.subsets[0], ("all".to_string(), 1.0, 1.0, 40));
        assert!((perfect.pearson_score.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(perfect.public[0].3, 10, "public rows only");
        assert!(scores[1].pearson_score.unwrap() < 1.0);
        let table = markdown(&scores);
        assert_eq!(table.lines().count(), 4, "header, rule, two models");
        assert!(table.contains("| perfect | 40 | 1.000 | 1.000 |"));
        let json = manifest_metrics(&scores, 5);
        assert_eq!(json["folds"], 5);
        assert_eq!(json["n"], 40);
        assert_eq!(json["r2"], 1.0);
        assert_eq!(json["subsets"].as_object().unwrap().len(), 9);
        assert_eq!(json["public_leaderboard_rows"]["all"]["n"], 10);
        let noisy = &json["published_models_on_the_same_rows"]["noisy"];
        assert_eq!(noisy["pearson_score"], scores[1].pearson_score.unwrap());
        assert!(noisy["r2"].as_f64().unwrap() < 1.0);
    }

    fn oof(rows: &[(usize, usize, f32)]) -> Vec<OofRow> {
        rows.iter()
            .map(|&(row, fold, prediction)| OofRow {
                row,
                idx: Some(100 + row),
                fold,
                measured: row as f32,
                prediction,
            })
            .collect()
    }

    #[test]
    fn an_ensemble_is_each_rows_mean_over_members_with_the_same_folds() {
        let a = oof(&[(0, 0, 1.0), (1, 1, 2.0), (2, 0, -1.0)]);
        // Another order of the same rows.
        let b = oof(&[(2, 0, 0.0), (0, 0, 3.0), (1, 1, 2.5)]);
        let mean = ensemble(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(mean, oof(&[(0, 0, 2.0), (1, 1, 2.25), (2, 0, -0.5)]));
        assert_eq!(ensemble(std::slice::from_ref(&a)).unwrap(), a);
        assert!(ensemble(&[]).is_err());
        // Another fold assignment, or other rows: not an out-of-fold ensemble.
        let refolded = oof(&[(0, 1, 1.0), (1, 1, 2.0), (2, 0, -1.0)]);
        let err = ensemble(&[a.clone(), refolded]).unwrap_err().to_string();
        assert!(err.contains("row 0 (fold 1)"), "{err}");
        assert!(ensemble(&[a.clone(), oof(&[(0, 0, 1.0)])]).is_err());
    }
}
