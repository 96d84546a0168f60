//! Variant effects: the predicted change caused by one or more substitutions, and the
//! mutational robustness of a sequence.
//!
//! Variants are written `pos ref alt` with a 1-based position on the reference sequence as the
//! user gave it (an 80-bp random region or a 110-bp construct); several on one line are applied
//! together (`12 A G, 40 C T`). The reference base is checked: a mismatch is an error naming
//! the line. Alternatively a line may hold a pair of sequences, reference and alternative.

use crate::engine::mutations::Ism;
use crate::error::Error;
use crate::input::sequence::{Construct, Note, RANDOM_START, prepare};

/// One substitution, in the coordinates of the construct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Substitution {
    /// 0-based position in the 110-bp construct.
    pub position: usize,
    /// Reference base.
    pub reference: u8,
    /// Alternative base.
    pub alternative: u8,
}

/// A variant to evaluate: a label and the two constructs to compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// 1-based line of the variants text.
    pub line: usize,
    /// The variant as written, normalised (`12A>G,40C>T`), or `pair` for sequence pairs.
    pub label: String,
    /// Reference construct.
    pub reference: Construct,
    /// Alternative construct.
    pub alternative: Construct,
}

/// Offset from positions on the sequence as given to construct positions.
fn offset(notes: &[Note]) -> usize {
    if notes.contains(&Note::Flanked) {
        RANDOM_START
    } else {
        0
    }
}

/// Parses variants against `reference` (the sequence as the user gave it).
///
/// Each non-blank line (`#` starts a comment) is either one or more `pos ref alt` triples
/// (separated by spaces, tabs, commas or semicolons; `12A>G` is accepted too) or two
/// sequences (reference and alternative) separated by whitespace.
pub fn parse(reference: &str, text: &str) -> Result<Vec<Variant>, Error> {
    let (ref_construct, notes) = prepare(reference.trim())
        .map_err(|p| Error::Invalid(format!("reference sequence: {p}")))?;
    let shift = offset(&notes);
    let given_len = reference.trim().len();
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let err =
            |msg: String| Error::Invalid(format!("variants line {line} ('{content}'): {msg}"));
        let tokens: Vec<String> = content
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|t| !t.is_empty())
            .flat_map(split_compact)
            .collect();
        // A pair of sequences: two long alphabetic tokens.
        if tokens.len() == 2
            && tokens
                .iter()
                .all(|t| t.len() > 1 && t.parse::<usize>().is_err())
        {
            let (r, _) = prepare(&tokens[0]).map_err(|p| err(format!("reference: {p}")))?;
            let (a, _) = prepare(&tokens[1]).map_err(|p| err(format!("alternative: {p}")))?;
            out.push(Variant {
                line,
                label: "pair".into(),
                reference: r,
                alternative: a,
            });
            continue;
        }
        if !tokens.len().is_multiple_of(3) {
            return Err(err(
                "expected 'pos ref alt' triples (e.g. '12 A G') or two sequences".into(),
            ));
        }
        let mut alt = ref_construct;
        let mut labels = Vec::new();
        let mut seen = Vec::new();
        for t in tokens.chunks(3) {
            let pos: usize = t[0]
                .parse()
                .map_err(|_| err(format!("position '{}' is not a number", t[0])))?;
            if pos == 0 || pos > given_len {
                return Err(err(format!(
                    "position {pos} is outside the reference (1-{given_len})"
                )));
            }
            let construct_pos = pos - 1 + shift;
            if construct_pos >= crate::input::sequence::CONSTRUCT_LEN {
                return Err(err(format!(
                    "position {pos} is beyond the 110-bp construct the model sees"
                )));
            }
            let base = |s: &str, what: &str| -> Result<u8, Error> {
                match s.to_ascii_uppercase().as_bytes() {
                    [b @ (b'A' | b'C' | b'G' | b'T')] => Ok(*b),
                    _ => Err(err(format!("{what} base '{s}' must be one of A, C, G, T"))),
                }
            };
            let r = base(&t[1], "reference")?;
            let a = base(&t[2], "alternative")?;
            let actual = ref_construct.bases()[construct_pos];
            if actual != r {
                return Err(err(format!(
                    "the reference has '{}' at position {pos}, not '{}'",
                    actual as char, r as char
                )));
            }
            if r == a {
                return Err(err(format!(
                    "position {pos}: alternative equals reference ('{}')",
                    r as char
                )));
            }
            if seen.contains(&pos) {
                return Err(err(format!("position {pos} is given twice")));
            }
            seen.push(pos);
            alt = alt.with_base(construct_pos, a);
            labels.push(format!("{pos}{}>{}", r as char, a as char));
        }
        out.push(Variant {
            line,
            label: labels.join(","),
            reference: ref_construct,
            alternative: alt,
        });
    }
    Ok(out)
}

/// Splits a compact `12A>G` token into `12`, `A`, `G`; other tokens pass through.
fn split_compact(token: &str) -> Vec<String> {
    if let Some((left, alt)) = token.split_once('>') {
        let digits = left.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let reference = &left[digits.len()..];
        if !digits.is_empty() && !reference.is_empty() {
            return vec![digits.to_string(), reference.to_string(), alt.to_string()];
        }
    }
    vec![token.to_string()]
}

/// The predicted effect of one variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    /// The variant.
    pub variant: Variant,
    /// Prediction for the reference.
    pub reference: f32,
    /// Prediction for the alternative.
    pub alternative: f32,
}

impl Effect {
    /// `alternative - reference`.
    pub fn delta(&self) -> f32 {
        self.alternative - self.reference
    }
}

/// The constructs to predict for `variants`: reference and alternative of each, interleaved.
pub fn batch(variants: &[Variant]) -> Vec<Construct> {
    variants
        .iter()
        .flat_map(|v| [v.reference, v.alternative])
        .collect()
}

/// Pairs the predictions of [`batch`] with the variants.
pub fn effects(variants: Vec<Variant>, predictions: &[f32]) -> Result<Vec<Effect>, Error> {
    if predictions.len() != 2 * variants.len() {
        return Err(Error::Backend(format!(
            "expected {} predictions, got {}",
            2 * variants.len(),
            predictions.len()
        )));
    }
    Ok(variants
        .into_iter()
        .zip(predictions.chunks(2))
        .map(|(variant, p)| Effect {
            variant,
            reference: p[0],
            alternative: p[1],
        })
        .collect())
}

/// Mutational robustness and evolvability of one sequence (Vaishnav et al. 2022): summaries of
/// the distribution of its single-mutant effects.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Robustness {
    /// Prediction for the sequence.
    pub reference: f32,
    /// Number of single mutants.
    pub mutants: usize,
    /// The |delta| threshold used.
    pub threshold: f32,
    /// Fraction of mutants with |delta| < threshold (robustness).
    pub robust_fraction: f64,
    /// Fraction with delta >= threshold (mutations that raise expression).
    pub up_fraction: f64,
    /// Fraction with delta <= -threshold (mutations that lower expression).
    pub down_fraction: f64,
    /// Mean |delta|.
    pub mean_abs_delta: f64,
    /// Largest increase.
    pub max_increase: f32,
    /// Largest decrease (most negative delta).
    pub max_decrease: f32,
}

impl Robustness {
    /// Summarises an ISM at `threshold`.
    pub fn from_ism(ism: &Ism, threshold: f32) -> Result<Self, Error> {
        if !(threshold >= 0.0 && threshold.is_finite()) {
            return Err(Error::Invalid(format!(
                "the robustness threshold must be a non-negative number, got {threshold}"
            )));
        }
        let n = ism.effects.len();
        if n == 0 {
            return Err(Error::Invalid("no mutants to summarise".into()));
        }
        let deltas: Vec<f32> = ism.effects.iter().map(|(_, d)| *d).collect();
        let frac =
            |f: &dyn Fn(f32) -> bool| deltas.iter().filter(|&&d| f(d)).count() as f64 / n as f64;
        Ok(Robustness {
            reference: ism.reference,
            mutants: n,
            threshold,
            robust_fraction: frac(&|d| d.abs() < threshold),
            up_fraction: frac(&|d| d >= threshold),
            down_fraction: frac(&|d| d <= -threshold),
            mean_abs_delta: deltas.iter().map(|d| d.abs() as f64).sum::<f64>() / n as f64,
            max_increase: deltas.iter().copied().fold(f32::NEG_INFINITY, f32::max),
            max_decrease: deltas.iter().copied().fold(f32::INFINITY, f32::min),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGION: &str =
        "ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT";

    #[test]
    fn triples_on_a_random_region_map_into_the_construct() {
        let v = parse(REGION, "1 A G, 6 C T\n# comment\n\n8T>A\n").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].label, "1A>G,6C>T");
        assert_eq!(v[0].line, 1);
        assert_eq!(v[1].line, 4);
        let alt = v[0].alternative.bases();
        assert_eq!(alt[RANDOM_START], b'G');
        assert_eq!(alt[RANDOM_START + 5], b'T');
        assert_eq!(v[1].alternative.bases()[RANDOM_START + 7], b'A');
    }

    #[test]
    fn reference_mismatch_names_the_line() {
        let e = parse(REGION, "1 A G\n2 A T\n").unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(e.contains("has 'C' at position 2"), "{e}");
    }

    #[test]
    fn bad_lines_are_errors() {
        for bad in [
            "1 A",
            "0 A G",
            "81 A G",
            "1 A A",
            "1 A X",
            "1 A G 1 A C",
            "x A G",
        ] {
            assert!(parse(REGION, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sequence_pairs() {
        let alt = REGION.replacen('A', "T", 1);
        let v = parse(REGION, &format!("{REGION}\t{alt}")).unwrap();
        assert_eq!(v[0].label, "pair");
        assert_eq!(v[0].alternative.bases()[RANDOM_START], b'T');
    }
}
