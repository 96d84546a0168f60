//! Scoring and scanning, computed as MEME Suite's FIMO does.
//!
//! For each motif (MEME Suite 5.5, `motif-in.c`, `motif.c`, `pssm.c`, `fimo.c`):
//!
//! 1. The background: FIMO's default is the non-redundant-database (NRDB) DNA frequencies
//!    built into MEME Suite (`--bfile --nrdb--`; the alternatives are the motif file's own
//!    `Background letter frequencies` and uniform). When both strands are scanned it is averaged
//!    with its reverse complement (A with T, C with G), then a pseudo-frequency of 5e-7 is
//!    added to each letter and the result renormalised.
//! 2. Each matrix row is renormalised if it does not sum to 1 within 1e-5, then the pseudocount
//!    is added as counts: `p' = (p * n + pseudocount * bg) / (n + pseudocount)`, where `n` is
//!    `nsites` truncated to an integer (20 when the file gives none). FIMO's default
//!    pseudocount (`--motif-pseudo`) is 0.1.
//! 3. Log-odds: `log2(p' / bg)`, with MEME's `log2` (natural log times 1.44269504).
//! 4. Scaling to integers: with `lo` the smallest and `hi` the largest log-odds of the matrix,
//!    `offset = floor(lo)` and `scale = floor(1000 / (hi - offset))`; every cell becomes
//!    `round((x - offset) * scale)` (half away from zero). Site scores (sums over the motif)
//!    then lie in `0 ..= 1000 * width`.
//! 5. The exact distribution of the integer site score under the 0-order background is built
//!    by dynamic programming over positions; the p-value of a score is the upper tail
//!    `P(S >= s)` (capped at 1).
//! 6. A site's reported score is its integer score mapped back, `s / scale + width * offset`
//!    (so it is the log2-odds score quantised to `1 / scale`), and its p-value is read from the
//!    table. Windows containing anything other than `A`, `C`, `G`, `T` (any case), such as `N`,
//!    are not scored.
//! 7. The reverse strand is scored with the reverse-complement motif. Because the background
//!    is symmetrised in step 1, that motif's scaled matrix and p-value table are exactly the
//!    reverse complement of the forward ones, so scoring the reverse-complemented window with
//!    the forward matrix gives identical numbers. A `-` hit is reported, as FIMO does, with
//!    `start <= end` on the sequence as given and the matched site reverse-complemented (read
//!    5'->3' on the motif's strand).
//!
//! Hits are those with `p-value <= threshold` (FIMO's `--thresh`, default 1e-4).

use serde::Serialize;

use super::meme::{LETTERS, Motif, MotifFile};
use crate::error::Error;

/// FIMO's default p-value threshold (`--thresh`).
pub const DEFAULT_P_THRESHOLD: f64 = 1e-4;
/// FIMO's default pseudocount (`--motif-pseudo`).
pub const DEFAULT_PSEUDOCOUNT: f64 = 0.1;
/// The integer range of one scaled matrix column (MEME Suite's `PSSM_RANGE`).
pub const SCORE_RANGE: usize = 1000;
/// Site count assumed for the pseudocount when a matrix has no `nsites=` (MEME Suite's
/// `DEFAULT_SITE_COUNT`).
pub const DEFAULT_NSITES: f64 = 20.0;
/// MEME Suite's non-redundant-database DNA letter frequencies (A, C, G, T): FIMO's default
/// background.
pub const NRDB_DNA: [f64; 4] = [0.281774, 0.222020, 0.228876, 0.267330];
/// The pseudo-frequency MEME Suite adds to each background letter (`normalize_frequencies`).
const BACKGROUND_PSEUDO: f64 = 0.0000005;
/// Tolerance within which MEME Suite leaves a matrix row unnormalised (`normalize_motif`).
const ROW_TOLERANCE: f64 = 0.00001;

/// `log2` exactly as MEME Suite computes it (`my_log2`: natural log times a truncated
/// constant), so that scaled scores round identically.
// The truncated constant is deliberate: it is MEME Suite's, and using the exact LOG2_E
// would move a few log-odds scores across a rounding boundary of the integer matrix.
#[allow(clippy::approx_constant)]
fn meme_log2(x: f64) -> f64 {
    x.ln() * 1.44269504
}

/// C's `nint`: round half away from zero, then truncate to an integer.
fn nint(x: f64) -> i64 {
    if x >= 0.0 {
        (x + 0.5) as i64
    } else {
        (x - 0.5) as i64
    }
}

/// MEME Suite's `normalize_subarray`: divide by the total unless it is within `tolerance`
/// of 1 (a tolerance of 0 normalises unless the total is exactly 1).
fn normalize(values: &mut [f64; 4], tolerance: f64) {
    let total: f64 = values.iter().sum();
    if 1.0 - tolerance > total || 1.0 + tolerance < total {
        for v in values.iter_mut() {
            *v /= total;
        }
    }
}

/// Which background letter frequencies score the motifs and define the p-values.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Background {
    /// MEME Suite's non-redundant-database frequencies ([`NRDB_DNA`]): FIMO's default.
    #[default]
    Nrdb,
    /// The motif file's `Background letter frequencies` (uniform if it has none): FIMO's
    /// `--bfile --motif--`.
    MotifFile,
    /// 0.25 each: FIMO's `--bfile --uniform--`.
    Uniform,
    /// Given frequencies (A, C, G, T), as from a `--bfile` background file.
    Given([f64; 4]),
}

impl std::str::FromStr for Background {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().trim_matches('-') {
            "nrdb" => Ok(Background::Nrdb),
            "motif" | "motif-file" | "file" => Ok(Background::MotifFile),
            "uniform" => Ok(Background::Uniform),
            _ => {
                let values: Vec<f64> = s
                    .split(',')
                    .map(|v| v.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| {
                        Error::Invalid(format!(
                            "unknown background '{s}': expected nrdb, motif, uniform or four \
                             comma-separated frequencies A,C,G,T"
                        ))
                    })?;
                let values: [f64; 4] = values.try_into().map_err(|_| {
                    Error::Invalid(format!(
                        "background '{s}' needs exactly four frequencies A,C,G,T"
                    ))
                })?;
                Ok(Background::Given(values))
            }
        }
    }
}

impl Background {
    /// The frequencies (A, C, G, T) FIMO would use: resolved, symmetrised when both strands
    /// are scanned, and given MEME Suite's small pseudo-frequency.
    pub fn frequencies(
        &self,
        file_background: Option<[f64; 4]>,
        both_strands: bool,
    ) -> Result<[f64; 4], Error> {
        let mut bg = match *self {
            Background::Nrdb => NRDB_DNA,
            Background::Uniform => [0.25; 4],
            Background::MotifFile => file_background.unwrap_or([0.25; 4]),
            Background::Given(values) => values,
        };
        if bg.iter().any(|v| !v.is_finite() || *v < 0.0) || bg.iter().sum::<f64>() <= 0.0 {
            return Err(Error::Invalid(format!(
                "background frequencies {bg:?} must be >= 0 with a positive sum"
            )));
        }
        normalize(&mut bg, 0.0);
        if both_strands {
            let at = (bg[0] + bg[3]) / 2.0;
            let cg = (bg[1] + bg[2]) / 2.0;
            bg = [at, cg, cg, at];
        }
        // Keeps every letter possible even if the source gives it frequency 0.
        let sum = BACKGROUND_PSEUDO * 4.0 + bg.iter().sum::<f64>();
        for v in bg.iter_mut() {
            *v = (*v + BACKGROUND_PSEUDO) / sum;
        }
        normalize(&mut bg, 0.0);
        Ok(bg)
    }
}

/// How to scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanOptions {
    /// Report sites with `p-value <= p_threshold` (FIMO `--thresh`, default 1e-4).
    pub p_threshold: f64,
    /// Pseudocount added to the matrices (FIMO `--motif-pseudo`, default 0.1).
    pub pseudocount: f64,
    /// Background model (FIMO default: NRDB).
    pub background: Background,
    /// Scan the reverse strand too (FIMO's default; `false` is FIMO `--norc`).
    pub both_strands: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            p_threshold: DEFAULT_P_THRESHOLD,
            pseudocount: DEFAULT_PSEUDOCOUNT,
            background: Background::Nrdb,
            both_strands: true,
        }
    }
}

/// The strand a site was found on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Strand {
    /// The sequence as given.
    #[serde(rename = "+")]
    Plus,
    /// Its reverse complement.
    #[serde(rename = "-")]
    Minus,
}

impl Strand {
    /// `+` or `-`.
    pub fn symbol(self) -> char {
        match self {
            Strand::Plus => '+',
            Strand::Minus => '-',
        }
    }
}

impl std::fmt::Display for Strand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.symbol())
    }
}

impl std::str::FromStr for Strand {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "+" | "plus" | "forward" => Ok(Strand::Plus),
            "-" | "minus" | "reverse" => Ok(Strand::Minus),
            other => Err(Error::Invalid(format!(
                "unknown strand '{other}': expected + or -"
            ))),
        }
    }
}

/// Index of a base in `A, C, G, T` (any case), `None` for anything else.
pub fn base_index(base: u8) -> Option<usize> {
    match base {
        b'A' | b'a' => Some(0),
        b'C' | b'c' => Some(1),
        b'G' | b'g' => Some(2),
        b'T' | b't' => Some(3),
        _ => None,
    }
}

/// The complement of a base, keeping its case (`N` and other letters stay as they are).
pub fn complement(base: u8) -> u8 {
    match base {
        b'A' => b'T',
        b'C' => b'G',
        b'G' => b'C',
        b'T' => b'A',
        b'a' => b't',
        b'c' => b'g',
        b'g' => b'c',
        b't' => b'a',
        other => other,
    }
}

/// The reverse complement of a sequence (case kept).
pub fn reverse_complement(seq: &[u8]) -> Vec<u8> {
    seq.iter().rev().map(|&b| complement(b)).collect()
}

/// A motif's integer scoring matrix and exact p-value table, as FIMO builds them.
#[derive(Debug, Clone, PartialEq)]
pub struct Pssm {
    id: String,
    alt_id: Option<String>,
    /// Scaled integer scores, one row per position, columns A, C, G, T.
    scores: Vec<[i32; 4]>,
    scale: f64,
    offset: f64,
    /// `p_values[s] = P(site score >= s)` for `s` in `0 ..= 1000 * width`.
    p_values: Vec<f64>,
}

impl Pssm {
    /// Builds the matrix and p-value table of `motif` for background frequencies `background`
    /// (already resolved with [`Background::frequencies`]) and `pseudocount`.
    pub fn new(motif: &Motif, background: &[f64; 4], pseudocount: f64) -> Result<Self, Error> {
        if !(pseudocount.is_finite() && pseudocount >= 0.0) {
            return Err(Error::Invalid(format!(
                "pseudocount {pseudocount} must be a number >= 0"
            )));
        }
        let width = motif.width();
        if width == 0 {
            return Err(Error::Invalid(format!(
                "motif {} has no positions",
                motif.id
            )));
        }
        // MEME Suite's apply_pseudocount_to_motif uses an integer site count.
        let sites = match motif.nsites {
            Some(n) if n > 0.0 => n.trunc(),
            _ => DEFAULT_NSITES,
        };
        let total = sites + pseudocount;
        let mut log_odds = Vec::with_capacity(width);
        for (pos, row) in motif.probabilities.iter().enumerate() {
            let mut probs = *row;
            normalize(&mut probs, ROW_TOLERANCE);
            let mut lo = [0.0; 4];
            for j in 0..4 {
                let p = if pseudocount == 0.0 {
                    probs[j]
                } else {
                    (probs[j] * sites + pseudocount * background[j]) / total
                };
                if p <= 0.0 {
                    return Err(Error::Invalid(format!(
                        "motif {}: probability 0 for {} at position {} has no finite log-odds \
                         score; use a pseudocount > 0",
                        motif.id,
                        LETTERS[j] as char,
                        pos + 1
                    )));
                }
                lo[j] = meme_log2(p / background[j]);
            }
            log_odds.push(lo);
        }

        let (mut small, large) = log_odds
            .iter()
            .flatten()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(s, l), &x| {
                (s.min(x), l.max(x))
            });
        if large == small {
            small = large - 1.0;
        }
        // Integer offset and scale, so that a log-odds of 0 maps back to exactly 0.
        let offset = small.floor();
        let scale = (SCORE_RANGE as f64 / (large - offset)).floor();
        let scores: Vec<[i32; 4]> = log_odds
            .iter()
            .map(|row| row.map(|x| nint((x - offset) * scale) as i32))
            .collect();

        let p_values = p_value_table(&scores, background);
        Ok(Pssm {
            id: motif.id.clone(),
            alt_id: motif.alt_id.clone(),
            scores,
            scale,
            offset,
            p_values,
        })
    }

    /// The motif id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The motif's alternative name, if any.
    pub fn alt_id(&self) -> Option<&str> {
        self.alt_id.as_deref()
    }

    /// Number of positions.
    pub fn width(&self) -> usize {
        self.scores.len()
    }

    /// Scaled integer matrix (rows = positions, columns A, C, G, T).
    pub fn scaled_matrix(&self) -> &[[i32; 4]] {
        &self.scores
    }

    /// Scale factor of the integer scores.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Offset (per position) of the integer scores.
    pub fn offset(&self) -> f64 {
        self.offset
    }

    /// `P(score >= s)` for every integer score `s` from 0 to `1000 * width`.
    pub fn p_value_table(&self) -> &[f64] {
        &self.p_values
    }

    /// The integer score of a site read on the motif's strand, or `None` if it has a
    /// character other than `A, C, G, T` or the wrong length.
    pub fn scaled_score(&self, site: &[u8]) -> Option<usize> {
        if site.len() != self.width() {
            return None;
        }
        site.iter()
            .zip(&self.scores)
            .try_fold(0usize, |acc, (&b, row)| {
                base_index(b).map(|j| acc + row[j] as usize)
            })
    }

    /// The log2-odds score FIMO reports for an integer score.
    pub fn score(&self, scaled: usize) -> f64 {
        scaled as f64 / self.scale + self.width() as f64 * self.offset
    }

    /// The p-value of an integer score.
    pub fn p_value(&self, scaled: usize) -> f64 {
        self.p_values[scaled.min(self.p_values.len() - 1)]
    }

    /// The best possible integer score (the sum of the row maxima).
    pub fn max_scaled_score(&self) -> usize {
        self.scores
            .iter()
            .map(|row| *row.iter().max().expect("4 columns") as usize)
            .sum()
    }

    /// Hits of this motif in `seq` (any case; windows with `N` or other letters are skipped),
    /// `+` then `-` at each position, positions in order. `motif` is stored in the hits.
    pub fn scan(&self, seq: &[u8], p_threshold: f64, both_strands: bool, motif: usize) -> Vec<Hit> {
        self.scan_encoded(seq, &encode(seq), p_threshold, both_strands, motif)
    }

    /// [`Pssm::scan`] on a sequence already encoded by [`encode`].
    fn scan_encoded(
        &self,
        seq: &[u8],
        codes: &[u8],
        p_threshold: f64,
        both_strands: bool,
        motif: usize,
    ) -> Vec<Hit> {
        let w = self.width();
        let mut hits = Vec::new();
        let mut start = 0;
        while start + w <= codes.len() {
            let window = &codes[start..start + w];
            // Skip every window that still contains the last unscorable letter.
            if let Some(bad) = window.iter().rposition(|&c| c > 3) {
                start += bad + 1;
                continue;
            }
            let (mut fwd, mut rev) = (0usize, 0usize);
            for (i, &c) in window.iter().enumerate() {
                fwd += self.scores[i][c as usize] as usize;
                // The reverse complement of the window, read against the forward matrix.
                rev += self.scores[w - 1 - i][3 - c as usize] as usize;
            }
            let bases = &seq[start..start + w];
            let mut push = |scaled: usize, strand: Strand| {
                let p_value = self.p_value(scaled);
                if p_value <= p_threshold {
                    let matched = match strand {
                        Strand::Plus => bases.to_vec(),
                        Strand::Minus => reverse_complement(bases),
                    };
                    hits.push(Hit {
                        motif,
                        start: start + 1,
                        end: start + w,
                        strand,
                        score: self.score(scaled),
                        p_value,
                        matched: String::from_utf8(matched).expect("ASCII bases"),
                    });
                }
            };
            push(fwd, Strand::Plus);
            if both_strands {
                push(rev, Strand::Minus);
            }
            start += 1;
        }
        hits
    }
}

/// A sequence as letter indices (0-3 for `A, C, G, T` in any case, 4 for anything else).
fn encode(seq: &[u8]) -> Vec<u8> {
    seq.iter()
        .map(|&b| base_index(b).map_or(4, |i| i as u8))
        .collect()
}

/// `P(S >= s)` for the integer site score `S` of `scores` under a 0-order background, by
/// dynamic programming over positions (MEME Suite's `get_pdf_table` / `get_pv_lookup`, in
/// the same summation order).
fn p_value_table(scores: &[[i32; 4]], background: &[f64; 4]) -> Vec<f64> {
    let w = scores.len();
    let size = w * SCORE_RANGE + 1;
    let mut old = vec![0.0f64; size];
    let mut new = vec![0.0f64; size];
    new[0] = 1.0;
    for (i, row) in scores.iter().enumerate() {
        std::mem::swap(&mut old, &mut new);
        let max = i * SCORE_RANGE;
        new[..=max + SCORE_RANGE].fill(0.0);
        for (j, &s) in row.iter().enumerate() {
            let s = s as usize;
            for k in 0..=max {
                let p = old[k];
                if p != 0.0 {
                    new[k + s] += p * background[j];
                }
            }
        }
    }
    // Upper tail, accumulated from the top.
    for i in (0..size - 1).rev() {
        new[i] = (new[i] + new[i + 1]).min(1.0);
    }
    new
}

/// One motif occurrence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Index of the motif in the [`Scanner`].
    pub motif: usize,
    /// 1-based first position on the sequence as given.
    pub start: usize,
    /// 1-based last position (`start + width - 1`), whatever the strand.
    pub end: usize,
    /// Strand of the match.
    pub strand: Strand,
    /// Log2-odds score (FIMO's `score`).
    pub score: f64,
    /// Exact p-value of the score under the background.
    pub p_value: f64,
    /// The site read 5'->3' on the motif's strand (reverse-complemented for `-`), case kept.
    pub matched: String,
}

/// Scans sequences with a set of motifs.
#[derive(Debug, Clone)]
pub struct Scanner {
    pssms: Vec<Pssm>,
    background: [f64; 4],
    options: ScanOptions,
}

impl Scanner {
    /// Builds the matrices of every motif in `file`.
    pub fn new(file: &MotifFile, options: ScanOptions) -> Result<Self, Error> {
        Self::with_motifs(&file.motifs, file.background, options)
    }

    /// Builds the matrices of `motifs`; `file_background` is used by
    /// [`Background::MotifFile`].
    pub fn with_motifs(
        motifs: &[Motif],
        file_background: Option<[f64; 4]>,
        options: ScanOptions,
    ) -> Result<Self, Error> {
        if !(options.p_threshold > 0.0 && options.p_threshold <= 1.0) {
            return Err(Error::Invalid(format!(
                "p-value threshold {} must be in (0, 1]",
                options.p_threshold
            )));
        }
        let background = options
            .background
            .frequencies(file_background, options.both_strands)?;
        let pssms = motifs
            .iter()
            .map(|m| Pssm::new(m, &background, options.pseudocount))
            .collect::<Result<_, _>>()?;
        Ok(Scanner {
            pssms,
            background,
            options,
        })
    }

    /// The matrices, in motif order.
    pub fn pssms(&self) -> &[Pssm] {
        &self.pssms
    }

    /// The background frequencies in use (A, C, G, T).
    pub fn background(&self) -> [f64; 4] {
        self.background
    }

    /// The options.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// All hits in `seq`: motif by motif (file order), then by position, `+` before `-`.
    pub fn scan(&self, seq: &[u8]) -> Vec<Hit> {
        let codes = encode(seq);
        let (threshold, both) = (self.options.p_threshold, self.options.both_strands);
        self.pssms
            .iter()
            .enumerate()
            .flat_map(|(i, pssm)| pssm.scan_encoded(seq, &codes, threshold, both, i))
            .collect()
    }
}

/// Formats a number as C's `printf("%.{precision}g")`, the way FIMO prints scores (`%g`,
/// precision 6) and p-values (`%.3g`).
pub fn format_g(x: f64, precision: usize) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if !x.is_finite() {
        return format!("{x}");
    }
    let p = precision.max(1);
    // Round to `p` significant digits first: the exponent after rounding decides the style.
    let sci = format!("{:.*e}", p - 1, x);
    let (mantissa, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    if exp < -4 || exp >= p as i32 {
        let mantissa = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{x:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_g_matches_c() {
        for (x, p, want) in [
            (15.914285714, 6, "15.9143"),
            (8.13e-06, 3, "8.13e-06"),
            (9.6428571, 6, "9.64286"),
            (21.8, 6, "21.8"),
            (1.1e-08, 3, "1.1e-08"),
            (0.000123456, 3, "0.000123"),
            (123456789.0, 6, "1.23457e+08"),
            (-4.5, 6, "-4.5"),
            (1.0, 3, "1"),
            (0.0001, 3, "0.0001"),
            (9.9999e-5, 3, "0.0001"),
        ] {
            assert_eq!(format_g(x, p), want, "{x} %.{p}g");
        }
    }

    #[test]
    fn nrdb_background_is_symmetrised() {
        let bg = Background::Nrdb.frequencies(None, true).unwrap();
        assert!((bg[0] - 0.274552).abs() < 1e-6 && bg[0] == bg[3]);
        assert!((bg[1] - 0.225448).abs() < 1e-6 && bg[1] == bg[2]);
        assert!((bg.iter().sum::<f64>() - 1.0).abs() < 1e-15);
    }
}
