//! Training data: streaming parse, Camformer's filters, compact storage and seeded splits.
//!
//! Each sequence is kept as its 110-bp construct packed 2 bits per base plus a 128-bit `N`
//! mask (44 bytes), with its target, group and flags: the 6.7M-row DREAM training file fits in
//! about 350 MB.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result, bail};
use camformer::Construct;
use camformer::RecordProblem;
use camformer::input::sequence::{CONSTRUCT_LEN, Note, prepare};

/// A small, fast, seeded PRNG (SplitMix64): reproducible shuffles and splits on every platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// A seeded random choice of `n` of `rows`, in ascending order (all of them when `n` is `None`
/// or not smaller): the training rows of a learning-curve point (`--train-subset`), the same
/// for `train` and each fold of `cv`.
pub fn subsample(mut rows: Vec<usize>, n: Option<usize>, seed: u64) -> Vec<usize> {
    if let Some(n) = n.filter(|&n| n < rows.len()) {
        Rng(seed ^ 0x5EED_5EB5).shuffle(&mut rows);
        rows.truncate(n);
        rows.sort_unstable();
    }
    rows
}

/// One packed construct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed {
    bits: [u8; 28],
    n_mask: u128,
}

impl Packed {
    /// Packs a construct.
    pub fn pack(c: &Construct) -> Self {
        let mut bits = [0u8; 28];
        let mut n_mask = 0u128;
        for (i, &b) in c.bases().iter().enumerate() {
            let code = match b {
                b'A' => 0,
                b'C' => 1,
                b'G' => 2,
                b'T' => 3,
                _ => {
                    n_mask |= 1 << i;
                    0
                }
            };
            bits[i / 4] |= code << (2 * (i % 4));
        }
        Packed { bits, n_mask }
    }

    /// The construct back.
    pub fn unpack(&self) -> Construct {
        let mut s = [0u8; CONSTRUCT_LEN];
        for (i, out) in s.iter_mut().enumerate() {
            *out = if self.n_mask >> i & 1 == 1 {
                b'N'
            } else {
                b"ACGT"[(self.bits[i / 4] >> (2 * (i % 4)) & 3) as usize]
            };
        }
        let text = std::str::from_utf8(&s).expect("ASCII");
        prepare(text).expect("packed constructs are valid").0
    }
}

/// Sequences with targets, in file order.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Packed constructs.
    pub seqs: Vec<Packed>,
    /// Measured expression.
    pub targets: Vec<f32>,
    /// `group` column (sequences joined by SNV/motif pairs), when the file has one.
    pub groups: Vec<Option<u64>>,
    /// `idx` column (row of the official test file), when the file has one.
    pub idx: Vec<Option<usize>>,
    /// `random` column: the row is in the DREAM `random` subset (random 80-bp regions, like the
    /// DREAM training library); `false` when the file has no such column.
    pub random: Vec<bool>,
}

/// What happened to the input rows.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LoadReport {
    /// Data rows read.
    pub rows: usize,
    /// Rows kept.
    pub kept: usize,
    /// Kept after padding with `N` (107-109 bp).
    pub padded: usize,
    /// Kept after truncation (111-113 bp).
    pub truncated: usize,
    /// Kept after adding the flanks to an 80-bp region.
    pub flanked: usize,
    /// Public-leaderboard rows left out (`public == 1`).
    pub public_excluded: usize,
    /// Rows rejected, by reason.
    pub rejected: BTreeMap<String, usize>,
}

impl Dataset {
    /// Number of sequences.
    pub fn len(&self) -> usize {
        self.seqs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.seqs.is_empty()
    }

    /// The rows at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        Dataset {
            seqs: indices.iter().map(|&i| self.seqs[i]).collect(),
            targets: indices.iter().map(|&i| self.targets[i]).collect(),
            groups: indices.iter().map(|&i| self.groups[i]).collect(),
            idx: indices.iter().map(|&i| self.idx[i]).collect(),
            random: indices.iter().map(|&i| self.random[i]).collect(),
        }
    }

    /// Appends `other`'s rows after this one's.
    pub fn extend(&mut self, other: Dataset) {
        self.seqs.extend(other.seqs);
        self.targets.extend(other.targets);
        self.groups.extend(other.groups);
        self.idx.extend(other.idx);
        self.random.extend(other.random);
    }

    /// Reads a TSV (optionally gzip-compressed): headerless `seq<TAB>expr`, or with a header
    /// naming `seq` and `expr` (and optionally `group`, `public`, `idx`, `random`). Rows with `public == 1`
    /// are left out unless `include_public`: they are the public-leaderboard test set.
    pub fn load(path: &Path, include_public: bool) -> Result<(Dataset, LoadReport)> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
        } else {
            Box::new(BufReader::with_capacity(1 << 20, file))
        };
        Self::read(reader, include_public).with_context(|| format!("reading {}", path.display()))
    }

    /// [`Dataset::load`] from any reader.
    pub fn read(reader: impl BufRead, include_public: bool) -> Result<(Dataset, LoadReport)> {
        let mut data = Dataset::default();
        let mut report = LoadReport::default();
        let mut cols: Option<[Option<usize>; 6]> = None; // seq, expr, group, public, idx, random
        for (line_no, line) in reader.lines().enumerate() {
            let line = line?;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            if cols.is_none() {
                let find = |name: &str| fields.iter().position(|f| f.eq_ignore_ascii_case(name));
                if let Some(seq) = find("seq") {
                    let expr = find("expr").context("header has no 'expr' column")?;
                    cols = Some([
                        Some(seq),
                        Some(expr),
                        find("group"),
                        find("public"),
                        find("idx"),
                        find("random"),
                    ]);
                    continue;
                }
                cols = Some([Some(0), Some(1), None, None, None, None]);
            }
            let [seq_c, expr_c, group_c, public_c, idx_c, random_c] = cols.expect("set above");
            report.rows += 1;
            let field = |c: Option<usize>| c.and_then(|c| fields.get(c)).copied();
            let (Some(seq), Some(expr)) = (field(seq_c), field(expr_c)) else {
                bail!(
                    "line {}: expected at least 2 tab-separated fields",
                    line_no + 1
                );
            };
            let target: f32 = expr.parse().with_context(|| {
                format!("line {}: expression {expr:?} is not a number", line_no + 1)
            })?;
            if !include_public && field(public_c) == Some("1") {
                report.public_excluded += 1;
                continue;
            }
            match prepare(seq) {
                Ok((construct, notes)) => {
                    for n in notes {
                        match n {
                            Note::Padded(_) => report.padded += 1,
                            Note::Truncated(_) => report.truncated += 1,
                            Note::Flanked => report.flanked += 1,
                        }
                    }
                    report.kept += 1;
                    data.seqs.push(Packed::pack(&construct));
                    data.targets.push(target);
                    data.groups
                        .push(field(group_c).and_then(|g| g.parse().ok()));
                    data.idx.push(field(idx_c).and_then(|g| g.parse().ok()));
                    data.random.push(field(random_c) == Some("1"));
                }
                Err(problem) => {
                    let reason = match problem {
                        RecordProblem::BadLength { .. } => "length outside 110 +/- 3 (and not 80)",
                        RecordProblem::TooManyN { .. } => "more than 3 N",
                        RecordProblem::InvalidBase { .. } => "character outside ACGTN",
                        _ => "empty or malformed",
                    };
                    *report.rejected.entry(reason.to_string()).or_default() += 1;
                }
            }
        }
        Ok((data, report))
    }

    /// Seeded train/validation split: by `group` when every row has one (so SNV and motif
    /// pairs never straddle the split), otherwise stratified by expression decile.
    /// Returns (train indices, validation indices), each sorted.
    pub fn split(&self, val_fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
        let mut rng = Rng(seed);
        let mut val = Vec::new();
        let mut train = Vec::new();
        if !self.groups.is_empty() && self.groups.iter().all(Option::is_some) {
            let mut groups: Vec<u64> = self.groups.iter().map(|g| g.expect("checked")).collect();
            groups.sort_unstable();
            groups.dedup();
            rng.shuffle(&mut groups);
            let n_val = (groups.len() as f64 * val_fraction).round() as usize;
            let val_groups: std::collections::HashSet<u64> =
                groups[..n_val].iter().copied().collect();
            for (i, g) in self.groups.iter().enumerate() {
                if val_groups.contains(&g.expect("checked")) {
                    val.push(i);
                } else {
                    train.push(i);
                }
            }
        } else {
            let mut order: Vec<usize> = (0..self.len()).collect();
            order.sort_by(|&a, &b| self.targets[a].total_cmp(&self.targets[b]));
            for decile in order.chunks(self.len().div_ceil(10).max(1)) {
                let mut d = decile.to_vec();
                rng.shuffle(&mut d);
                let n_val = (d.len() as f64 * val_fraction).round() as usize;
                val.extend_from_slice(&d[..n_val]);
                train.extend_from_slice(&d[n_val..]);
            }
            train.sort_unstable();
            val.sort_unstable();
        }
        (train, val)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips_with_n() {
        let s = format!("{}N{}", "ACGT".repeat(20), "TTGCA".repeat(5) + "NGGA");
        let (c, _) = prepare(&s).unwrap();
        assert_eq!(Packed::pack(&c).unpack(), c);
    }

    #[test]
    fn splits_are_seeded_and_keep_groups_together() {
        let text: String = (0..200)
            .map(|i| format!("{}\t{}\t{}\t0\n", "ACGT".repeat(20), i as f32 / 10.0, i / 4))
            .collect();
        let (d, report) = Dataset::read(
            format!("seq\texpr\tgroup\tpublic\n{text}").as_bytes(),
            false,
        )
        .unwrap();
        assert_eq!((report.rows, report.kept, report.flanked), (200, 200, 200));
        let (t, v) = d.split(0.2, 1);
        assert_eq!(d.split(0.2, 1), (t.clone(), v.clone()));
        assert_eq!(v.len(), 40);
        for &i in &v {
            assert!(t.iter().all(|&j| d.groups[j] != d.groups[i]));
        }
    }

    #[test]
    fn subsamples_are_seeded_sorted_and_drawn_from_the_rows() {
        let rows: Vec<usize> = (100..200).collect();
        let pick = subsample(rows.clone(), Some(10), 7);
        assert_eq!(pick, subsample(rows.clone(), Some(10), 7));
        assert_ne!(pick, subsample(rows.clone(), Some(10), 8));
        assert_eq!(pick.len(), 10);
        assert!(pick.windows(2).all(|w| w[0] < w[1]) && pick.iter().all(|r| rows.contains(r)));
        assert_eq!(subsample(rows.clone(), None, 7), rows);
        assert_eq!(subsample(rows.clone(), Some(500), 7), rows);
    }
}
