//! Motif what-if analyses: the predicted change when a motif site is written into a sequence,
//! when a site is destroyed, as a site slides along the random region, and when two motifs are
//! combined (their interaction, as in the Camformer paper's IME1/UME6 analysis).
//!
//! Everything happens in the 80-bp random region of the construct. Positions are 1-based in
//! that region (1-80; construct positions 18-97), and a site must fit entirely inside it.
//! "Inserting" a site overwrites the bases at its position, so the construct stays 110 bp, as
//! in the DREAM motif-perturbation designs.
//!
//! Each analysis is split the same way as naive ISM ([`crate::engine::mutations`]): a function
//! that builds the list of constructs to predict, and one that turns the predictions into the
//! result. Native callers use the `Predictor::predict` wrappers ([`what_if`], [`tile`],
//! [`pair`], [`pair_matrix`]); the browser calls [`Predictor::predict_async`] on the same
//! batches (the `*_async` wrappers). Random backgrounds and shuffles are deterministic given a
//! seed.

use serde::Serialize;

use crate::analysis::motifs::{Motif, Strand, reverse_complement};
use crate::engine::predictor::Predictor;
use crate::error::Error;
use crate::input::sequence::{Construct, RANDOM_LEN, RANDOM_START, prepare};

/// SplitMix64: a small seeded generator, identical on every platform.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (`n > 0`), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "empty range");
        // Rejection sampling on the top of the range keeps every value equally likely.
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// A motif site to write: its bases read 5'->3' on the motif's own strand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    /// What the site is (a motif id, or a label the user chose).
    pub label: String,
    /// Upper-case `A`, `C`, `G`, `T`.
    pub bases: String,
}

impl Site {
    /// The motif's consensus: the most probable base at each position.
    pub fn consensus(motif: &Motif) -> Site {
        Site {
            label: motif.id.clone(),
            bases: motif.consensus(),
        }
    }

    /// A user-given site (`A`, `C`, `G`, `T`, any case).
    pub fn given(label: &str, bases: &str) -> Result<Site, Error> {
        let bases = bases.trim();
        if bases.is_empty() {
            return Err(Error::Invalid(format!("site for {label} is empty")));
        }
        if let Some((i, c)) = bases
            .char_indices()
            .find(|(_, c)| !matches!(c.to_ascii_uppercase(), 'A' | 'C' | 'G' | 'T'))
        {
            return Err(Error::Invalid(format!(
                "site '{bases}' for {label}: invalid base {c:?} at position {} (allowed: A, C, G, T)",
                i + 1
            )));
        }
        Ok(Site {
            label: label.to_string(),
            bases: bases.to_ascii_uppercase(),
        })
    }

    /// Length in bases.
    pub fn len(&self) -> usize {
        self.bases.len()
    }

    /// Whether the site has no bases (never true for sites built by [`Site::consensus`] or
    /// [`Site::given`]).
    pub fn is_empty(&self) -> bool {
        self.bases.is_empty()
    }
}

/// Checks that `len` bases starting at 1-based random-region `position` fit in the region.
fn check_fits(what: &str, position: usize, len: usize) -> Result<(), Error> {
    if len == 0 || len > RANDOM_LEN {
        return Err(Error::Invalid(format!(
            "{what} is {len} bp; it must be 1-{RANDOM_LEN} bp to fit in the {RANDOM_LEN}-bp random region"
        )));
    }
    let last = RANDOM_LEN - len + 1;
    if position == 0 || position > last {
        return Err(Error::Invalid(format!(
            "{what} ({len} bp) cannot start at position {position} of the {RANDOM_LEN}-bp random \
             region: it must start at 1-{last} to fit (random-region positions are 1-based; \
             construct positions {}-{})",
            RANDOM_START + 1,
            RANDOM_START + RANDOM_LEN
        )));
    }
    Ok(())
}

/// Bases written into the random region: a site insertion, a replacement or a shuffle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// What the edit is, for reports (`MA0320.1 +`, `shuffle`, `replace`).
    pub label: String,
    /// 1-based random-region position of the first base written.
    pub position: usize,
    /// The bases written, on the construct's `+` strand (upper-case `ACGTN`).
    pub bases: String,
}

impl Edit {
    /// Writes `site` at `position`; on the `-` strand its reverse complement is written, so the
    /// site reads 5'->3' on the opposite strand.
    pub fn insert(site: &Site, strand: Strand, position: usize) -> Result<Edit, Error> {
        check_fits(
            &format!("site {} ({strand})", site.label),
            position,
            site.len(),
        )?;
        let bases = match strand {
            Strand::Plus => site.bases.clone(),
            Strand::Minus => {
                String::from_utf8(reverse_complement(site.bases.as_bytes())).expect("ASCII bases")
            }
        };
        Ok(Edit {
            label: format!("{} {strand}", site.label),
            position,
            bases,
        })
    }

    /// Replaces the bases at `position` with `bases` (`A`, `C`, `G`, `T`, `N`, any case), for
    /// example to ablate a hit with a chosen sequence.
    pub fn replace(position: usize, bases: &str) -> Result<Edit, Error> {
        let bases = bases.trim().to_ascii_uppercase();
        if let Some((i, c)) = bases
            .char_indices()
            .find(|(_, c)| !matches!(c, 'A' | 'C' | 'G' | 'T' | 'N'))
        {
            return Err(Error::Invalid(format!(
                "replacement '{bases}': invalid base {c:?} at position {} (allowed: A, C, G, T, N)",
                i + 1
            )));
        }
        check_fits("the replacement", position, bases.len())?;
        Ok(Edit {
            label: "replace".into(),
            position,
            bases,
        })
    }

    /// Shuffles the `len` bases of `construct` starting at `position` (a seeded Fisher-Yates
    /// shuffle: the base composition is kept, the order destroyed).
    pub fn shuffle(
        construct: &Construct,
        position: usize,
        len: usize,
        seed: u64,
    ) -> Result<Edit, Error> {
        check_fits("the shuffled stretch", position, len)?;
        let start = RANDOM_START + position - 1;
        let mut bases = construct.bases()[start..start + len].to_vec();
        let mut rng = SplitMix64::new(seed);
        for i in (1..bases.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            bases.swap(i, j);
        }
        Ok(Edit {
            label: "shuffle".into(),
            position,
            bases: String::from_utf8(bases).expect("ASCII bases"),
        })
    }

    /// 0-based construct positions the edit writes.
    pub fn construct_range(&self) -> std::ops::Range<usize> {
        let start = RANDOM_START + self.position - 1;
        start..start + self.bases.len()
    }

    /// 1-based random-region position of the last base written.
    pub fn end(&self) -> usize {
        self.position + self.bases.len() - 1
    }

    /// Whether two edits write any common position.
    pub fn overlaps(&self, other: &Edit) -> bool {
        self.position <= other.end() && other.position <= self.end()
    }

    /// The edited construct.
    pub fn apply(&self, construct: &Construct) -> Construct {
        self.construct_range()
            .zip(self.bases.bytes())
            .fold(*construct, |c, (i, b)| c.with_base(i, b))
    }
}

/// The predicted effect of one edit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EditEffect {
    /// The edit.
    pub edit: Edit,
    /// Prediction for the edited construct.
    pub prediction: f32,
    /// `prediction - reference`.
    pub delta: f32,
}

/// Predictions for a set of edits of one construct.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    /// Prediction for the unedited construct.
    pub reference: f32,
    /// One entry per edit, in order.
    pub effects: Vec<EditEffect>,
}

/// The batch a what-if predicts: the construct first, then each edited construct.
pub fn what_if_batch(construct: &Construct, edits: &[Edit]) -> Vec<Construct> {
    std::iter::once(*construct)
        .chain(edits.iter().map(|e| e.apply(construct)))
        .collect()
}

/// Turns the predictions of a [`what_if_batch`] into a [`WhatIf`].
pub fn what_if_from_predictions(edits: Vec<Edit>, predictions: &[f32]) -> Result<WhatIf, Error> {
    expect_len(predictions, edits.len() + 1)?;
    let reference = predictions[0];
    let effects = edits
        .into_iter()
        .zip(&predictions[1..])
        .map(|(edit, &prediction)| EditEffect {
            edit,
            prediction,
            delta: prediction - reference,
        })
        .collect();
    Ok(WhatIf { reference, effects })
}

fn expect_len(predictions: &[f32], n: usize) -> Result<(), Error> {
    if predictions.len() != n {
        return Err(Error::Backend(format!(
            "expected {n} predictions, got {}",
            predictions.len()
        )));
    }
    Ok(())
}

/// Predicts the effect of each edit on `construct` (native only).
#[cfg(not(target_family = "wasm"))]
pub fn what_if(
    predictor: &Predictor,
    construct: &Construct,
    edits: Vec<Edit>,
) -> Result<WhatIf, Error> {
    let predictions = predictor.predict(&what_if_batch(construct, &edits))?;
    what_if_from_predictions(edits, &predictions)
}

/// [`what_if`] with asynchronous read-back (browser, WebGPU).
pub async fn what_if_async(
    predictor: &Predictor,
    construct: &Construct,
    edits: Vec<Edit>,
) -> Result<WhatIf, Error> {
    let predictions = predictor
        .predict_async(&what_if_batch(construct, &edits))
        .await?;
    what_if_from_predictions(edits, &predictions)
}

/// One point of a tiling: the site written at one position on one strand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TilePoint {
    /// 1-based random-region position of the site's first base (on the `+` strand).
    pub position: usize,
    /// Strand the site reads on.
    pub strand: Strand,
    /// Prediction with the site there.
    pub prediction: f32,
    /// `prediction - reference`.
    pub delta: f32,
}

/// Prediction against position as a site slides along the random region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tiling {
    /// The site.
    pub site: Site,
    /// Prediction for the untouched construct.
    pub reference: f32,
    /// Every position (1 to `81 - width`) for each requested strand, strand by strand.
    pub points: Vec<TilePoint>,
}

/// The edits of a tiling: `site` at every position that fits, for each of `strands`.
pub fn tile_edits(site: &Site, strands: &[Strand]) -> Result<Vec<Edit>, Error> {
    check_fits(&format!("site {}", site.label), 1, site.len())?;
    let last = RANDOM_LEN - site.len() + 1;
    strands
        .iter()
        .flat_map(|&strand| (1..=last).map(move |p| Edit::insert(site, strand, p)))
        .collect()
}

/// Turns the predictions of `what_if_batch(construct, &tile_edits(site, strands))` into a
/// [`Tiling`].
pub fn tiling_from_predictions(
    site: &Site,
    strands: &[Strand],
    predictions: &[f32],
) -> Result<Tiling, Error> {
    let last = RANDOM_LEN.saturating_sub(site.len()) + 1;
    expect_len(predictions, strands.len() * last + 1)?;
    let reference = predictions[0];
    let points = strands
        .iter()
        .flat_map(|&strand| (1..=last).map(move |position| (strand, position)))
        .zip(&predictions[1..])
        .map(|((strand, position), &prediction)| TilePoint {
            position,
            strand,
            prediction,
            delta: prediction - reference,
        })
        .collect();
    Ok(Tiling {
        site: site.clone(),
        reference,
        points,
    })
}

/// Tiles `site` across the random region of `construct` (native only).
#[cfg(not(target_family = "wasm"))]
pub fn tile(
    predictor: &Predictor,
    construct: &Construct,
    site: &Site,
    strands: &[Strand],
) -> Result<Tiling, Error> {
    let edits = tile_edits(site, strands)?;
    let predictions = predictor.predict(&what_if_batch(construct, &edits))?;
    tiling_from_predictions(site, strands, &predictions)
}

/// [`tile`] with asynchronous read-back (browser, WebGPU).
pub async fn tile_async(
    predictor: &Predictor,
    construct: &Construct,
    site: &Site,
    strands: &[Strand],
) -> Result<Tiling, Error> {
    let edits = tile_edits(site, strands)?;
    let predictions = predictor
        .predict_async(&what_if_batch(construct, &edits))
        .await?;
    tiling_from_predictions(site, strands, &predictions)
}

/// `n` random 80-bp regions (uniform, independent bases) with the constant flanks, from
/// `seed`.
pub fn random_backgrounds(n: usize, seed: u64) -> Vec<Construct> {
    let mut rng = SplitMix64::new(seed);
    (0..n)
        .map(|_| {
            let region: String = (0..RANDOM_LEN)
                // The top two bits: uniform over A, C, G, T.
                .map(|_| b"ACGT"[(rng.next_u64() >> 62) as usize] as char)
                .collect();
            prepare(&region).expect("80 valid bases").0
        })
        .collect()
}

/// Which half of the random region a site goes to by default in pair analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Centred in positions 1-40.
    A,
    /// Centred in positions 41-80.
    B,
}

impl Slot {
    /// The default 1-based start of a `width`-bp site: centred in its half of the region, so
    /// that an A site and a B site never overlap.
    pub fn position(self, width: usize) -> Result<usize, Error> {
        let half = RANDOM_LEN / 2;
        if width == 0 || width > half {
            return Err(Error::Invalid(format!(
                "a {width}-bp site does not fit in half of the random region ({half} bp); \
                 give the positions explicitly"
            )));
        }
        let start = 1 + (half - width) / 2;
        Ok(match self {
            Slot::A => start,
            Slot::B => start + half,
        })
    }
}

/// Mean and standard error of a set of predictions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Arithmetic mean.
    pub mean: f64,
    /// Standard error of the mean: sample standard deviation (n - 1) / sqrt(n); NaN for n = 1.
    pub se: f64,
    /// Number of values.
    pub n: usize,
}

impl Summary {
    /// Summarises `values` (at least one).
    pub fn of(values: &[f64]) -> Summary {
        let n = values.len();
        assert!(n > 0, "nothing to summarise");
        let mean = values.iter().sum::<f64>() / n as f64;
        let se = if n > 1 {
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            (var / n as f64).sqrt()
        } else {
            f64::NAN
        };
        Summary { mean, se, n }
    }
}

/// Mean predicted expression with neither, either and both of two sites, over backgrounds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairResult {
    /// The A edit (as applied to every background).
    pub a: Edit,
    /// The B edit.
    pub b: Edit,
    /// Backgrounds as they are.
    pub none: Summary,
    /// With site A.
    pub with_a: Summary,
    /// With site B.
    pub with_b: Summary,
    /// With both.
    pub with_ab: Summary,
    /// Interaction `AB - A - B + none`. Its mean equals that combination of the four means;
    /// its standard error is that of the per-background interaction terms (the four
    /// conditions are paired on each background).
    pub interaction: Summary,
}

impl PairResult {
    /// Builds the result from per-background predictions `[none, A, B, AB]`.
    fn from_quads(a: Edit, b: Edit, quads: &[[f32; 4]]) -> PairResult {
        let column = |i: usize| -> Vec<f64> { quads.iter().map(|q| q[i] as f64).collect() };
        let interaction: Vec<f64> = quads
            .iter()
            .map(|q| q[3] as f64 - q[1] as f64 - q[2] as f64 + q[0] as f64)
            .collect();
        PairResult {
            a,
            b,
            none: Summary::of(&column(0)),
            with_a: Summary::of(&column(1)),
            with_b: Summary::of(&column(2)),
            with_ab: Summary::of(&column(3)),
            interaction: Summary::of(&interaction),
        }
    }
}

fn check_pair(backgrounds: &[Construct], a: &Edit, b: &Edit) -> Result<(), Error> {
    if backgrounds.is_empty() {
        return Err(Error::Invalid(
            "a pair analysis needs at least one background".into(),
        ));
    }
    if a.overlaps(b) {
        return Err(Error::Invalid(format!(
            "sites overlap: A ({}) covers random-region positions {}-{}, B ({}) covers {}-{}; \
             choose positions that do not overlap",
            a.label,
            a.position,
            a.end(),
            b.label,
            b.position,
            b.end()
        )));
    }
    Ok(())
}

/// The batch of a pair analysis: for each background, the background, with A, with B, with
/// both (four constructs per background, in that order).
pub fn pair_batch(backgrounds: &[Construct], a: &Edit, b: &Edit) -> Result<Vec<Construct>, Error> {
    check_pair(backgrounds, a, b)?;
    Ok(backgrounds
        .iter()
        .flat_map(|bg| {
            let with_a = a.apply(bg);
            [*bg, with_a, b.apply(bg), b.apply(&with_a)]
        })
        .collect())
}

/// Turns the predictions of a [`pair_batch`] into a [`PairResult`].
pub fn pair_from_predictions(a: Edit, b: Edit, predictions: &[f32]) -> Result<PairResult, Error> {
    if predictions.is_empty() || !predictions.len().is_multiple_of(4) {
        return Err(Error::Backend(format!(
            "expected 4 predictions per background, got {}",
            predictions.len()
        )));
    }
    let quads: Vec<[f32; 4]> = predictions
        .chunks(4)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect();
    Ok(PairResult::from_quads(a, b, &quads))
}

/// Pair interaction of edits `a` and `b` over `backgrounds` (native only).
#[cfg(not(target_family = "wasm"))]
pub fn pair(
    predictor: &Predictor,
    backgrounds: &[Construct],
    a: Edit,
    b: Edit,
) -> Result<PairResult, Error> {
    let predictions = predictor.predict(&pair_batch(backgrounds, &a, &b)?)?;
    pair_from_predictions(a, b, &predictions)
}

/// [`pair`] with asynchronous read-back (browser, WebGPU).
pub async fn pair_async(
    predictor: &Predictor,
    backgrounds: &[Construct],
    a: Edit,
    b: Edit,
) -> Result<PairResult, Error> {
    let batch = pair_batch(backgrounds, &a, &b)?;
    let predictions = predictor.predict_async(&batch).await?;
    pair_from_predictions(a, b, &predictions)
}

/// Pair interactions for every ordered pair of a list of sites (a heatmap).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairMatrix {
    /// The sites, in order (rows are the A site, columns the B site).
    pub sites: Vec<Site>,
    /// `pairs[i][j]`: site `i` in slot A, site `j` in slot B (the diagonal pairs a site with
    /// itself).
    pub pairs: Vec<Vec<PairResult>>,
}

/// The edits of a pair matrix: each site at its slot-A and slot-B default position on
/// `strand`.
fn matrix_edits(sites: &[Site], strand: Strand) -> Result<(Vec<Edit>, Vec<Edit>), Error> {
    if sites.is_empty() {
        return Err(Error::Invalid(
            "a pair matrix needs at least one motif".into(),
        ));
    }
    let place = |slot: Slot| -> Result<Vec<Edit>, Error> {
        sites
            .iter()
            .map(|s| Edit::insert(s, strand, slot.position(s.len())?))
            .collect()
    };
    Ok((place(Slot::A)?, place(Slot::B)?))
}

/// The batch of a pair matrix over `k` sites: per background, the background, the `k`
/// slot-A insertions, the `k` slot-B insertions, then the `k * k` pairs (row-major), i.e.
/// `1 + 2k + k^2` constructs per background, sharing the single insertions across pairs.
pub fn pair_matrix_batch(
    backgrounds: &[Construct],
    sites: &[Site],
    strand: Strand,
) -> Result<Vec<Construct>, Error> {
    if backgrounds.is_empty() {
        return Err(Error::Invalid(
            "a pair matrix needs at least one background".into(),
        ));
    }
    let (a, b) = matrix_edits(sites, strand)?;
    let mut out = Vec::with_capacity(backgrounds.len() * (1 + 2 * a.len() + a.len() * a.len()));
    for bg in backgrounds {
        out.push(*bg);
        out.extend(a.iter().map(|e| e.apply(bg)));
        out.extend(b.iter().map(|e| e.apply(bg)));
        for ea in &a {
            let with_a = ea.apply(bg);
            out.extend(b.iter().map(|eb| eb.apply(&with_a)));
        }
    }
    Ok(out)
}

/// Turns the predictions of a [`pair_matrix_batch`] into a [`PairMatrix`].
pub fn pair_matrix_from_predictions(
    sites: &[Site],
    strand: Strand,
    predictions: &[f32],
) -> Result<PairMatrix, Error> {
    let (a, b) = matrix_edits(sites, strand)?;
    let k = sites.len();
    let per = 1 + 2 * k + k * k;
    if predictions.is_empty() || !predictions.len().is_multiple_of(per) {
        return Err(Error::Backend(format!(
            "expected {per} predictions per background, got {}",
            predictions.len()
        )));
    }
    let pairs = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| {
                    let quads: Vec<[f32; 4]> = predictions
                        .chunks(per)
                        .map(|p| [p[0], p[1 + i], p[1 + k + j], p[1 + 2 * k + i * k + j]])
                        .collect();
                    PairResult::from_quads(a[i].clone(), b[j].clone(), &quads)
                })
                .collect()
        })
        .collect();
    Ok(PairMatrix {
        sites: sites.to_vec(),
        pairs,
    })
}

/// Pair interactions of every ordered pair of `sites` over `backgrounds` (native only).
#[cfg(not(target_family = "wasm"))]
pub fn pair_matrix(
    predictor: &Predictor,
    backgrounds: &[Construct],
    sites: &[Site],
    strand: Strand,
) -> Result<PairMatrix, Error> {
    let predictions = predictor.predict(&pair_matrix_batch(backgrounds, sites, strand)?)?;
    pair_matrix_from_predictions(sites, strand, &predictions)
}

/// [`pair_matrix`] with asynchronous read-back (browser, WebGPU).
pub async fn pair_matrix_async(
    predictor: &Predictor,
    backgrounds: &[Construct],
    sites: &[Site],
    strand: Strand,
) -> Result<PairMatrix, Error> {
    let batch = pair_matrix_batch(backgrounds, sites, strand)?;
    let predictions = predictor.predict_async(&batch).await?;
    pair_matrix_from_predictions(sites, strand, &predictions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(c: &Construct) -> &str {
        &c.as_str()[RANDOM_START..RANDOM_START + RANDOM_LEN]
    }

    #[test]
    fn insert_writes_the_site_or_its_reverse_complement() {
        let bg = random_backgrounds(1, 7)[0];
        let site = Site::given("s", "ccgcc").unwrap();
        let plus = Edit::insert(&site, Strand::Plus, 1).unwrap().apply(&bg);
        assert_eq!(&region(&plus)[..5], "CCGCC");
        let minus = Edit::insert(&site, Strand::Minus, 76).unwrap().apply(&bg);
        assert_eq!(&region(&minus)[75..], "GGCGG");
        // Flanks and the rest of the region are untouched.
        assert_eq!(&plus.as_str()[..RANDOM_START], &bg.as_str()[..RANDOM_START]);
        assert_eq!(&region(&plus)[5..], &region(&bg)[5..]);
        let e = Edit::insert(&site, Strand::Plus, 77)
            .unwrap_err()
            .to_string();
        assert!(e.contains("start at 1-76"), "{e}");
        assert!(Edit::insert(&site, Strand::Plus, 0).is_err());
        assert!(
            Site::given("x", "ACGU")
                .unwrap_err()
                .to_string()
                .contains("position 4")
        );
    }

    #[test]
    fn shuffle_keeps_composition_and_is_seeded() {
        let bg = random_backgrounds(1, 3)[0];
        let a = Edit::shuffle(&bg, 10, 20, 42).unwrap();
        let b = Edit::shuffle(&bg, 10, 20, 42).unwrap();
        assert_eq!(a, b);
        let mut before: Vec<u8> = region(&bg).as_bytes()[9..29].to_vec();
        let mut after: Vec<u8> = a.bases.as_bytes().to_vec();
        assert_ne!(
            before, after,
            "20 random bases should not shuffle to themselves"
        );
        before.sort_unstable();
        after.sort_unstable();
        assert_eq!(before, after);
        assert_ne!(Edit::shuffle(&bg, 10, 20, 43).unwrap(), a);
    }

    #[test]
    fn backgrounds_are_seeded_and_uniform_ish() {
        let a = random_backgrounds(50, 1);
        assert_eq!(a, random_backgrounds(50, 1));
        assert_ne!(a, random_backgrounds(50, 2));
        let mut counts = [0usize; 4];
        for c in &a {
            for b in region(c).bytes() {
                counts[b"ACGT".iter().position(|&x| x == b).unwrap()] += 1;
            }
        }
        // 4,000 bases: each letter within 1,000 +/- 150 (about 5 standard deviations).
        assert!(counts.iter().all(|&n| n.abs_diff(1000) < 150), "{counts:?}");
    }

    #[test]
    fn slots_do_not_overlap() {
        for wa in 1..=40 {
            for wb in 1..=40 {
                let a = Slot::A.position(wa).unwrap();
                let b = Slot::B.position(wb).unwrap();
                assert!(a + wa - 1 < b && b + wb - 1 <= RANDOM_LEN);
            }
        }
        assert!(Slot::A.position(41).is_err());
    }

    #[test]
    fn summary_and_interaction() {
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        // Sample variance 5/3, so se = sqrt(5/3 / 4).
        assert!((s.se - (5.0f64 / 3.0 / 4.0).sqrt()).abs() < 1e-12);
        let site = Site::given("s", "AC").unwrap();
        let a = Edit::insert(&site, Strand::Plus, 1).unwrap();
        let b = Edit::insert(&site, Strand::Plus, 5).unwrap();
        let r = pair_from_predictions(a, b, &[0.0, 1.0, 2.0, 5.0, 1.0, 1.0, 1.0, 1.0]).unwrap();
        assert_eq!(
            r.interaction.mean,
            r.with_ab.mean - r.with_a.mean - r.with_b.mean + r.none.mean
        );
        assert_eq!(r.interaction.mean, 1.0);
    }
}
