//! Evolution-inspired data augmentation of the random region (EvoAug; Lee et al. 2023,
//! Genome Biology 24:105).
//!
//! Each training sequence gets between one and `max` of the enabled augmentations, chosen at
//! random without repetition and applied in a fixed order: inversion, deletion, insertion,
//! translocation, mutation. Only the 80-bp random region changes; the constant flanks stay as
//! they are, and the region keeps its length (the network's input is a fixed 110 bp):
//!
//! - **mutation**: each base becomes another base with probability `mutation`;
//! - **insertion** of 1..=`insertion` random bases at a random point, the region's 3' end
//!   losing as many (so what follows the insertion shifts 3');
//! - **deletion** of 1..=`deletion` bases at a random point, random bases filling the region's
//!   3' end (what follows shifts 5');
//! - **translocation**: the region rotated by 1..=`translocation` bases either way;
//! - **inversion**: a segment of 1..=`inversion` bases replaced by its reverse complement.
//!
//! The labels stay those of the unaugmented sequences, so the paper follows augmented training
//! with fine-tuning on the unaugmented data (`train --init` with augmentation off).

use anyhow::{Context, Result, bail};
use camformer::Construct;
use camformer::input::sequence::{RANDOM_LEN, RANDOM_START, prepare};
use serde::{Deserialize, Serialize};

use crate::data::Rng;

/// Which augmentations are on, and how strong (0 = off).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Augment {
    /// Per-base substitution probability.
    pub mutation: f64,
    /// Longest insertion, in bases.
    pub insertion: usize,
    /// Longest deletion, in bases.
    pub deletion: usize,
    /// Largest rotation of the region, in bases.
    pub translocation: usize,
    /// Longest inverted segment, in bases.
    pub inversion: usize,
    /// At most this many augmentations per sequence (at least one is always applied).
    pub max: usize,
}

/// Everything done to a training sequence before it is encoded: EvoAug ([`Augment`]), then,
/// with `reverse_complement`, the other strand with probability 1/2 (the whole construct, flanks
/// included, so the flanks tell the model which strand it sees; the label stays).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Augmentation {
    /// Evolution-inspired augmentation of the random region; `None` = off.
    pub evo: Option<Augment>,
    /// Show half the sequences from the other strand.
    pub reverse_complement: bool,
}

impl Augmentation {
    /// True when it changes anything.
    pub fn is_active(&self) -> bool {
        self.evo.is_some() || self.reverse_complement
    }

    /// An augmented copy of `c`. The strand is drawn after EvoAug's draws, so runs without
    /// `reverse_complement` draw exactly what they drew before it existed.
    pub fn apply(&self, c: &Construct, rng: &mut Rng) -> Construct {
        let c = match &self.evo {
            Some(evo) => evo.apply(c, rng),
            None => *c,
        };
        if self.reverse_complement && rng.below(2) == 1 {
            c.reverse_complement()
        } else {
            c
        }
    }
}

/// The augmentations, in the order they are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Inversion,
    Deletion,
    Insertion,
    Translocation,
    Mutation,
}

const BASES: &[u8; 4] = b"ACGT";

/// One of the three bases other than `b` (an `N` becomes C, G or T), uniformly.
pub(crate) fn other_base(b: u8, rng: &mut Rng) -> u8 {
    let i = BASES.iter().position(|&x| x == b).unwrap_or(0);
    BASES[(i + 1 + rng.below(3)) % 4]
}

/// A copy of `c` whose 80-bp random region `edit` has changed in place (it must keep to A, C, G,
/// T and `N`; the flanks stay).
pub(crate) fn edit_region(c: &Construct, edit: impl FnOnce(&mut [u8])) -> Construct {
    let mut bases = *c.bases();
    edit(&mut bases[RANDOM_START..RANDOM_START + RANDOM_LEN]);
    let text = std::str::from_utf8(&bases).expect("ASCII bases");
    // Only bases of the construct are moved and A/C/G/T added: still a valid construct.
    prepare(text).expect("an edited construct is valid").0
}

impl Augment {
    /// Parses `key=value[,key=value...]` with keys `mutation`, `insertion`, `deletion`,
    /// `translocation`, `inversion` and `max` (default 2), e.g.
    /// `mutation=0.05,insertion=10,deletion=10,translocation=20,max=2`.
    pub fn parse(spec: &str) -> Result<Self> {
        let mut a = Augment {
            max: 2,
            ..Augment::default()
        };
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .with_context(|| format!("augmentation '{part}': expected key=value"))?;
            let length = || -> Result<usize> {
                let n: usize = value
                    .parse()
                    .with_context(|| format!("augmentation {key}: '{value}' is not a length"))?;
                if n >= RANDOM_LEN {
                    bail!("augmentation {key}: {n} is not shorter than the {RANDOM_LEN}-bp region");
                }
                Ok(n)
            };
            match key {
                "mutation" => {
                    let p: f64 = value.parse().with_context(|| {
                        format!("augmentation mutation: '{value}' is not a number")
                    })?;
                    if !(0.0..=1.0).contains(&p) {
                        bail!("augmentation mutation: {p} is not a probability");
                    }
                    a.mutation = p;
                }
                "insertion" => a.insertion = length()?,
                "deletion" => a.deletion = length()?,
                "translocation" => a.translocation = length()?,
                "inversion" => a.inversion = length()?,
                "max" => {
                    a.max = value
                        .parse()
                        .with_context(|| format!("augmentation max: '{value}' is not a count"))?;
                    if a.max == 0 {
                        bail!("augmentation max must be at least 1");
                    }
                }
                other => bail!(
                    "unknown augmentation '{other}' (mutation, insertion, deletion, translocation, inversion, max)"
                ),
            }
        }
        if a.kinds().is_empty() {
            bail!("augmentation '{spec}' enables nothing");
        }
        Ok(a)
    }

    /// The enabled augmentations, in application order.
    fn kinds(&self) -> Vec<Kind> {
        [
            (Kind::Inversion, self.inversion > 0),
            (Kind::Deletion, self.deletion > 0),
            (Kind::Insertion, self.insertion > 0),
            (Kind::Translocation, self.translocation > 0),
            (Kind::Mutation, self.mutation > 0.0),
        ]
        .into_iter()
        .filter_map(|(k, on)| on.then_some(k))
        .collect()
    }

    /// An augmented copy of `c`: between one and `max` of the enabled augmentations.
    pub fn apply(&self, c: &Construct, rng: &mut Rng) -> Construct {
        let mut kinds = self.kinds();
        let n = 1 + rng.below(self.max.min(kinds.len()));
        // A random choice of n, kept in application order.
        rng.shuffle(&mut kinds);
        kinds.truncate(n);
        kinds.sort_by_key(|k| *k as u8);
        let random_base = |rng: &mut Rng| BASES[rng.below(4)];
        edit_region(c, |region| {
            for kind in kinds {
                match kind {
                    Kind::Mutation => {
                        for b in region.iter_mut() {
                            if (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= self.mutation
                                && *b != b'N'
                            {
                                *b = other_base(*b, rng);
                            }
                        }
                    }
                    Kind::Insertion => {
                        let len = 1 + rng.below(self.insertion);
                        let at = rng.below(RANDOM_LEN + 1);
                        let mut v: Vec<u8> = region[..at].to_vec();
                        v.extend((0..len).map(|_| random_base(rng)));
                        v.extend_from_slice(&region[at..]);
                        region.copy_from_slice(&v[..RANDOM_LEN]);
                    }
                    Kind::Deletion => {
                        let len = 1 + rng.below(self.deletion);
                        let at = rng.below(RANDOM_LEN - len + 1);
                        let mut v: Vec<u8> = region[..at].to_vec();
                        v.extend_from_slice(&region[at + len..]);
                        v.extend((0..len).map(|_| random_base(rng)));
                        region.copy_from_slice(&v);
                    }
                    Kind::Translocation => {
                        let shift = 1 + rng.below(self.translocation);
                        if rng.below(2) == 0 {
                            region.rotate_left(shift);
                        } else {
                            region.rotate_right(shift);
                        }
                    }
                    Kind::Inversion => {
                        let len = 1 + rng.below(self.inversion);
                        let at = rng.below(RANDOM_LEN - len + 1);
                        let segment = &mut region[at..at + len];
                        segment.reverse();
                        for b in segment.iter_mut() {
                            *b = match *b {
                                b'A' => b'T',
                                b'T' => b'A',
                                b'C' => b'G',
                                b'G' => b'C',
                                other => other,
                            };
                        }
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use camformer::input::sequence::CONSTRUCT_LEN;

    fn construct() -> Construct {
        let region: String = (0..RANDOM_LEN).map(|i| BASES[i * 7 % 4] as char).collect();
        prepare(&region).unwrap().0
    }

    fn region(c: &Construct) -> &[u8] {
        &c.bases()[RANDOM_START..RANDOM_START + RANDOM_LEN]
    }

    #[test]
    fn parses_specs_and_rejects_bad_ones() {
        let a = Augment::parse("mutation=0.05, insertion=10,deletion=10,translocation=20").unwrap();
        assert_eq!(
            a,
            Augment {
                mutation: 0.05,
                insertion: 10,
                deletion: 10,
                translocation: 20,
                inversion: 0,
                max: 2
            }
        );
        for bad in [
            "",
            "max=3",
            "mutation=2",
            "insertion=80",
            "insertion=x",
            "warp=3",
            "mutation",
            "inversion=5,max=0",
        ] {
            assert!(Augment::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_region_changes_and_the_length_is_kept() {
        let c = construct();
        let a = Augment::parse(
            "mutation=0.1,insertion=20,deletion=20,translocation=30,inversion=20,max=5",
        )
        .unwrap();
        let mut rng = Rng(7);
        let mut changed = 0;
        for _ in 0..500 {
            let x = a.apply(&c, &mut rng);
            assert_eq!(x.bases().len(), CONSTRUCT_LEN);
            assert_eq!(x.bases()[..RANDOM_START], c.bases()[..RANDOM_START]);
            assert_eq!(
                x.bases()[RANDOM_START + RANDOM_LEN..],
                c.bases()[RANDOM_START + RANDOM_LEN..]
            );
            changed += usize::from(x != c);
        }
        assert!(
            changed > 450,
            "almost every copy differs ({changed} of 500)"
        );
    }

    #[test]
    fn each_augmentation_does_what_it_says() {
        let c = construct();
        let r = region(&c).to_vec();
        let mut rng = Rng(3);
        // Translocation: a rotation of the region.
        let x = Augment::parse("translocation=10")
            .unwrap()
            .apply(&c, &mut rng);
        let rotated = (1..=10).any(|s| {
            let (mut left, mut right) = (r.clone(), r.clone());
            left.rotate_left(s);
            right.rotate_right(s);
            region(&x) == left.as_slice() || region(&x) == right.as_slice()
        });
        assert!(rotated);
        // Mutation: base composition moves, no position shifts; rate 1 changes every base.
        let x = Augment::parse("mutation=1").unwrap().apply(&c, &mut rng);
        assert!(region(&x).iter().zip(&r).all(|(a, b)| a != b));
        // Deletion: a prefix is kept and the rest moves 5' by the deleted length.
        let x = Augment::parse("deletion=5").unwrap().apply(&c, &mut rng);
        let y = region(&x);
        let at = y.iter().zip(&r).take_while(|(a, b)| a == b).count();
        assert!(
            (1..=5).any(|len| at + len <= RANDOM_LEN && y[at..RANDOM_LEN - len] == r[at + len..]),
            "a deletion of 1-5 bases"
        );
        // Inversion: the reverse complement of a segment.
        let x = Augment::parse("inversion=8").unwrap().apply(&c, &mut rng);
        let y = region(&x);
        let diff: Vec<usize> = (0..RANDOM_LEN).filter(|&i| y[i] != r[i]).collect();
        if let (Some(&lo), Some(&hi)) = (diff.first(), diff.last()) {
            assert!(hi - lo < 8);
        }
    }

    #[test]
    fn seeded_and_repeatable() {
        let c = construct();
        let a = Augment::parse("mutation=0.05,insertion=10,deletion=10,translocation=20").unwrap();
        let draw = |seed| {
            let mut rng = Rng(seed);
            (0..20).map(|_| a.apply(&c, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
    }

    #[test]
    fn the_other_strand_for_about_half_and_evoaug_draws_unchanged() {
        let c = construct();
        let strands = Augmentation {
            evo: None,
            reverse_complement: true,
        };
        let mut rng = Rng(9);
        let out: Vec<Construct> = (0..1000).map(|_| strands.apply(&c, &mut rng)).collect();
        let flipped = out.iter().filter(|x| **x == c.reverse_complement()).count();
        assert_eq!(out.iter().filter(|x| **x == c).count() + flipped, 1000);
        assert!((430..=570).contains(&flipped), "{flipped} of 1000 flipped");
        // EvoAug alone draws what `Augment::apply` draws: runs from before the strand option
        // repeat exactly.
        let evo = Augment::parse("mutation=0.05,deletion=10").unwrap();
        let both = Augmentation {
            evo: Some(evo),
            reverse_complement: false,
        };
        let (mut a, mut b) = (Rng(4), Rng(4));
        for _ in 0..50 {
            assert_eq!(both.apply(&c, &mut a), evo.apply(&c, &mut b));
        }
        assert!(!Augmentation::default().is_active());
    }
}
