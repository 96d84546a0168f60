//! Variant effects: the predicted change caused by one or more substitutions, and the
//! mutational robustness of a sequence.
//!
//! Variants are written `pos ref alt` with the project's one position convention
//! ([`crate::input::positions`]): a plain number is a 1-based position in the 110-bp construct
//! (as ISM and design show them), `r12` a position in the 80-bp random region. Several on one
//! line are applied together (`89 A G, r40 C T`). The reference base is checked. A line may
//! instead hold a pair of sequences, reference and alternative.
//!
//! Every line is checked: [`parse`] returns the good variants and one error per bad line, so
//! a typo in line 3 does not stop lines 4 to 100. A variant that edits a constant flank is
//! evaluated but flagged ([`Variant::flank_edit`]): the flanks were constant in every DREAM
//! measurement, so the model has never seen them change.

use std::fmt;

use crate::engine::mutations::Ism;
use crate::error::Error;
use crate::input::positions;
use crate::input::sequence::{CONSTRUCT_LEN, Construct, prepare};

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
    /// The variant in construct positions (`89A>G,57C>T`), or `pair` for sequence pairs.
    pub label: String,
    /// Reference construct.
    pub reference: Construct,
    /// Alternative construct.
    pub alternative: Construct,
    /// Whether it changes a base of a constant flank (construct 1-17 or 98-110).
    pub flank_edit: bool,
}

/// A variants line that could not be read; the other lines are still evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line of the variants text.
    pub line: usize,
    /// The line as written (comment removed, trimmed).
    pub text: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "variants line {} ('{}'): {}",
            self.line, self.text, self.message
        )
    }
}

/// The variants of a text: those that can be evaluated, and every bad line.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// Good variants, in line order.
    pub variants: Vec<Variant>,
    /// Bad lines, in line order.
    pub rejected: Vec<LineError>,
}

/// Parses variants against `reference` (an 80-bp random region or a 110-bp construct).
///
/// Each non-blank line (`#` starts a comment) is either one or more `pos ref alt` triples
/// (separated by spaces, tabs, commas or semicolons; `89A>G` is accepted too) or two
/// sequences (reference and alternative) separated by whitespace. Only a bad reference is an
/// error; a bad line goes into [`Parsed::rejected`].
pub fn parse(reference: &str, text: &str) -> Result<Parsed, Error> {
    let (ref_construct, _) = prepare(reference.trim())
        .map_err(|p| Error::Invalid(format!("reference sequence: {p}")))?;
    let mut parsed = Parsed {
        variants: Vec::new(),
        rejected: Vec::new(),
    };
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        match parse_line(&ref_construct, content) {
            Ok((label, reference, alternative)) => {
                parsed.variants.push(Variant {
                    line,
                    flank_edit: (0..CONSTRUCT_LEN).any(|p| {
                        positions::in_flank(p) && reference.bases()[p] != alternative.bases()[p]
                    }),
                    label,
                    reference,
                    alternative,
                });
            }
            Err(message) => parsed.rejected.push(LineError {
                line,
                text: content.to_string(),
                message,
            }),
        }
    }
    Ok(parsed)
}

/// One line: its label, reference and alternative constructs (a pair of sequences brings its
/// own reference).
fn parse_line(
    reference: &Construct,
    content: &str,
) -> Result<(String, Construct, Construct), String> {
    let tokens: Vec<String> = content
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|t| !t.is_empty())
        .flat_map(split_compact)
        .collect();
    // A pair of sequences: two long alphabetic tokens.
    if tokens.len() == 2
        && tokens
            .iter()
            .all(|t| t.len() > 1 && positions::parse(t).is_err())
    {
        let (r, _) = prepare(&tokens[0]).map_err(|p| format!("reference: {p}"))?;
        let (a, _) = prepare(&tokens[1]).map_err(|p| format!("alternative: {p}"))?;
        return Ok(("pair".into(), r, a));
    }
    if !tokens.len().is_multiple_of(3) {
        return Err(
            "expected 'pos ref alt' triples (e.g. '89 A G' or 'r72 A G') or two sequences".into(),
        );
    }
    let mut alt = *reference;
    let mut labels = Vec::new();
    let mut seen = Vec::new();
    for t in tokens.chunks(3) {
        let pos = positions::parse(&t[0])?;
        let base = |s: &str, what: &str| -> Result<u8, String> {
            match s.to_ascii_uppercase().as_bytes() {
                [b @ (b'A' | b'C' | b'G' | b'T')] => Ok(*b),
                _ => Err(format!("{what} base '{s}' must be one of A, C, G, T")),
            }
        };
        let r = base(&t[1], "reference")?;
        let a = base(&t[2], "alternative")?;
        let actual = reference.bases()[pos];
        if actual != r {
            return Err(format!(
                "the reference has '{}' at position {}, not '{}'",
                actual as char,
                positions::describe(pos),
                r as char
            ));
        }
        if r == a {
            return Err(format!(
                "position {}: alternative equals reference ('{}')",
                positions::describe(pos),
                r as char
            ));
        }
        if seen.contains(&pos) {
            return Err(format!(
                "position {} is given twice",
                positions::describe(pos)
            ));
        }
        seen.push(pos);
        alt = alt.with_base(pos, a);
        labels.push(format!("{}{}>{}", pos + 1, r as char, a as char));
    }
    Ok((labels.join(","), *reference, alt))
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
    use crate::input::sequence::RANDOM_START;

    const REGION: &str =
        "ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT";

    /// The variants of `text`, which must all be good.
    fn good(text: &str) -> Vec<Variant> {
        let parsed = parse(REGION, text).unwrap();
        assert_eq!(parsed.rejected, [], "{text}");
        parsed.variants
    }

    #[test]
    fn construct_and_region_positions_name_the_same_base() {
        // Region position 1 is construct 18 (RANDOM_START is 0-based 17).
        let v = good("18 A G, r6 C T\n# comment\n\n25T>A\n");
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].label, "18A>G,23C>T");
        assert_eq!((v[0].line, v[1].line), (1, 4));
        let alt = v[0].alternative.bases();
        assert_eq!(alt[RANDOM_START], b'G');
        assert_eq!(alt[RANDOM_START + 5], b'T');
        assert_eq!(v[1].alternative.bases()[RANDOM_START + 7], b'A');
        assert!(!v[0].flank_edit && !v[1].flank_edit);
    }

    #[test]
    fn flank_edits_are_evaluated_and_flagged() {
        // Construct 1-17 is the 5' flank TGCATTTTTTTCACATC.
        let v = good("1 T A\n110 T C\n");
        assert!(v[0].flank_edit && v[1].flank_edit);
        assert_eq!(v[0].alternative.bases()[0], b'A');
    }

    #[test]
    fn every_bad_line_is_reported_and_the_rest_run() {
        let parsed = parse(REGION, "18 A G\n19 A T\nnonsense\n20 G C\n").unwrap();
        assert_eq!(parsed.variants.len(), 2);
        assert_eq!(
            parsed.variants.iter().map(|v| v.line).collect::<Vec<_>>(),
            [1, 4]
        );
        let lines: Vec<usize> = parsed.rejected.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3]);
        let e = parsed.rejected[0].to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(e.contains("has 'C' at position 19 (region 2)"), "{e}");
    }

    #[test]
    fn bad_lines_are_errors() {
        for bad in [
            "18 A",
            "0 A G",
            "111 A G",
            "r81 A G",
            "18 A A",
            "18 A X",
            "18 A G 18 A C",
            "x A G",
        ] {
            let parsed = parse(REGION, bad).unwrap();
            assert_eq!(
                (parsed.variants.len(), parsed.rejected.len()),
                (0, 1),
                "{bad}"
            );
        }
        assert!(parse("ACGX", "1 A G").is_err());
    }

    #[test]
    fn sequence_pairs() {
        let alt = REGION.replacen('A', "T", 1);
        let v = good(&format!("{REGION}\t{alt}"));
        assert_eq!(v[0].label, "pair");
        assert_eq!(v[0].alternative.bases()[RANDOM_START], b'T');
        assert!(!v[0].flank_edit);
    }
}
