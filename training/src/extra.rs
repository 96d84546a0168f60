//! Extra training rows measured in another experiment, on another scale.
//!
//! The DREAM test set (64,783 rows here) is measured on the MAUDE scale; the only reachable part
//! of the DREAM training library (`dream_train_subset.tsv`, 7,369 rows) is measured in 0-17
//! expression bins, from fewer cells per sequence. Correlations do not care about the scale, but
//! a model trained on both must see one scale, so the extra rows' values are **quantile-mapped**
//! onto the scale of the training rows flagged `random`: both are random 80-bp regions in the
//! same construct, so their true expression should share one distribution, and a monotone map
//! that matches the two distributions keeps the extra rows' order (ties stay tied) without
//! assuming the bins are linear in MAUDE units.
//!
//! The extra rows are only ever training rows: they never enter validation or a held-out fold,
//! and the map is fitted on the training rows alone (in `cv`, on the fold's training rows), so
//! no held-out value shapes it.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, LoadReport};

/// Fewest reference rows a map may be fitted on: below this the map's quantiles are too coarse.
pub const MIN_REFERENCE: usize = 100;

/// Extra training rows: a TSV read like `--data` (headerless `seq<TAB>expr`, or with a header
/// naming `seq` and `expr`), whose values are mapped onto the training rows' scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtraRows {
    /// The file.
    pub path: PathBuf,
}

/// Maps each of `values` to the `reference` value at the same quantile.
///
/// A value's quantile is its mid-rank among `values` (`(below + ties / 2) / n`, so tied values
/// map to one value); the reference's quantile function interpolates linearly between its sorted
/// values (the `k`-th smallest of `m` sits at quantile `(k + 1/2) / m`) and is flat beyond
/// the ends. The map is monotone, stays inside the reference's range, and sends a sample that
/// is an increasing transform of the reference (same size) exactly onto the reference.
pub fn quantile_map(values: &[f32], reference: &[f32]) -> Result<Vec<f32>> {
    if reference.is_empty() {
        bail!("no reference values to map onto");
    }
    if let Some(bad) = values.iter().chain(reference).find(|v| !v.is_finite()) {
        bail!("cannot map a non-finite value ({bad})");
    }
    let mut sorted_ref = reference.to_vec();
    sorted_ref.sort_by(f32::total_cmp);
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let (n, m) = (values.len() as f64, sorted_ref.len() as f64);
    let mut mapped = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        // `order[start..end]` is one run of tied values.
        let tied = values[order[start]];
        let end = start + order[start..].partition_point(|&i| values[i] == tied);
        let quantile = (start as f64 + (end - start) as f64 / 2.0) / n;
        let position = (quantile * m - 0.5).clamp(0.0, m - 1.0);
        let (low, frac) = (position.floor() as usize, position.fract());
        let high = (low + 1).min(sorted_ref.len() - 1);
        let value =
            sorted_ref[low] as f64 + frac * (sorted_ref[high] as f64 - sorted_ref[low] as f64);
        for &i in &order[start..end] {
            mapped[i] = value as f32;
        }
        start = end;
    }
    Ok(mapped)
}

/// Extra rows read and mapped by [`load_mapped`].
#[derive(Debug)]
pub struct Mapped {
    /// The rows, their values on the training scale.
    pub rows: Dataset,
    /// What reading the file kept and rejected.
    pub report: LoadReport,
    /// How many training rows (flagged `random`) the map was fitted on.
    pub reference_rows: usize,
}

/// Loads `path` and maps its values onto the scale of `train`'s rows flagged `random`
/// ([`quantile_map`]). The rows carry no group, idx or `random` flag (the flag marks reference
/// rows of the training scale, which these were not).
pub fn load_mapped(path: &Path, train: &Dataset) -> Result<Mapped> {
    let reference: Vec<f32> = train
        .targets
        .iter()
        .zip(&train.random)
        .filter_map(|(&t, &random)| random.then_some(t))
        .collect();
    if reference.len() < MIN_REFERENCE {
        bail!(
            "extra rows ({}) are mapped onto the scale of the training rows flagged `random`, \
             and the training data has {} of them (at least {MIN_REFERENCE} needed): give --data \
             a `random` column, as dream_test_dev.tsv.gz has",
            path.display(),
            reference.len()
        );
    }
    // The public-leaderboard filter does not apply: these rows are training rows by definition.
    let (mut extra, report) = Dataset::load(path, true)?;
    if extra.is_empty() {
        bail!("{} has no usable rows", path.display());
    }
    extra.targets = quantile_map(&extra.targets, &reference)?;
    extra.groups = vec![None; extra.len()];
    extra.idx = vec![None; extra.len()];
    extra.random = vec![false; extra.len()];
    Ok(Mapped {
        rows: extra,
        report,
        reference_rows: reference.len(),
    })
}

/// What joining extra rows did, recorded in the exported manifest (`training.data.extra_rows`)
/// beside the file's name (`training.data.extra_file`), so that a model says how many rows it
/// was given, not only where they came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtraSummary {
    /// Extra rows trained on.
    pub rows: usize,
    /// Training rows flagged `random` that the map was fitted on.
    pub reference_rows: usize,
    /// What reading the file kept and rejected.
    pub load_report: LoadReport,
}

/// `train` followed by the extra rows of `extra` mapped onto its scale ([`load_mapped`]), and a
/// summary of what was joined; reports it on stderr too.
pub fn with_extra(train: &Dataset, extra: &ExtraRows) -> Result<(Dataset, ExtraSummary)> {
    let mapped = load_mapped(&extra.path, train)?;
    eprintln!(
        "{}: {} extra training rows, mapped onto the scale of {} random training rows; {}",
        extra.path.display(),
        mapped.rows.len(),
        mapped.reference_rows,
        serde_json::to_string(&mapped.report)?
    );
    let summary = ExtraSummary {
        rows: mapped.rows.len(),
        reference_rows: mapped.reference_rows,
        load_report: mapped.report,
    };
    let mut out = train.clone();
    out.extend(mapped.rows);
    Ok((out, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_increasing_transform_of_the_reference_maps_back_onto_it() {
        let reference: Vec<f32> = (0..50)
            .map(|i| ((i * 37) % 50) as f32 / 10.0 - 1.3)
            .collect();
        let values: Vec<f32> = reference.iter().map(|r| (3.0 * r + 10.0).exp()).collect();
        let mapped = quantile_map(&values, &reference).unwrap();
        for (m, r) in mapped.iter().zip(&reference) {
            assert!((m - r).abs() < 1e-5, "{m} against {r}");
        }
    }

    #[test]
    fn the_map_is_monotone_keeps_ties_and_stays_in_range() {
        let reference = [-1.0, -0.5, 0.0, 0.2, 1.5];
        let values = [12.0, 3.0, 12.0, 15.2, 0.0, 7.5, 12.0, 16.9];
        let mapped = quantile_map(&values, &reference).unwrap();
        let mut pairs: Vec<(f32, f32)> = values.iter().copied().zip(mapped).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        for w in pairs.windows(2) {
            assert!(w[0].1 <= w[1].1, "not monotone: {pairs:?}");
            if w[0].0 == w[1].0 {
                assert_eq!(w[0].1, w[1].1, "ties must map to one value");
            }
        }
        assert!(pairs.iter().all(|p| (-1.0..=1.5).contains(&p.1)));
        // The three 12.0s (ranks 3-5 of 8) sit at mid-quantile (3 + 3/2) / 8 = 0.5625, which is
        // position 0.5625 * 5 - 0.5 = 2.3125 of the sorted reference: 0.0 + 0.3125 * 0.2.
        assert!((pairs[3].1 - 0.0625).abs() < 1e-6, "{pairs:?}");
        // The largest value's quantile is 15/16, beyond the last reference quantile (0.9): flat.
        assert_eq!(pairs[7].1, 1.5);
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(quantile_map(&[1.0], &[]).is_err());
        assert!(quantile_map(&[f32::NAN], &[1.0]).is_err());
        assert!(quantile_map(&[1.0], &[f32::INFINITY]).is_err());
        assert_eq!(quantile_map(&[], &[1.0]).unwrap(), Vec::<f32>::new());
    }
}
