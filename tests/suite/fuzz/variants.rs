//! The variants parser: arbitrary text, and generated variant lists (`pos ref alt` triples,
//! `12A>G`, sequence pairs, comments, blank lines) with one or more damaged lines.
//!
//! The parser returns one variant per good line holding one and one error per bad line (the
//! browser and the CLI report every bad line and evaluate the rest), each naming its line.

use camformer::analysis::variants::parse;
use camformer::input::sequence::{CONSTRUCT_LEN, Construct, RANDOM_LEN, RANDOM_START, prepare};
use proptest::prelude::*;

use super::{config, text_from};

const VARIANT_ALPHABET: &[&str] = &[
    "1",
    "2",
    "12",
    "80",
    "110",
    "0",
    " ",
    ",",
    ";",
    "\t",
    "\n",
    "\r\n",
    "#",
    "A",
    "C",
    "G",
    "T",
    "N",
    "a",
    "x",
    ">",
    "A>G",
    "12A>G",
    "r",
    "r12",
    "R80",
    "ACGTACGTACGTACGTACGT",
    "-",
    "99999999999999999999",
];

fn reference() -> impl Strategy<Value = String> {
    let len = prop_oneof![Just(RANDOM_LEN), Just(110usize), 107usize..=113];
    len.prop_flat_map(|n| {
        proptest::collection::vec(
            proptest::sample::select(&['A', 'C', 'G', 'T', 'a', 'g'][..]),
            n,
        )
    })
    .prop_map(|v| v.into_iter().collect())
}

/// One generated line of a variants list.
#[derive(Debug, Clone)]
enum Line {
    /// Substitutions at these (distinct) positions, with these alternative-base choices.
    Triples {
        picks: Vec<(prop::sample::Index, usize)>,
        compact: bool,
        /// Write positions in the random region as `r<region position>`.
        region_form: bool,
        sep: &'static str,
        lower: bool,
        comment: bool,
    },
    /// A pair of sequences: the reference and a copy with some bases changed.
    Pair {
        changes: Vec<prop::sample::Index>,
    },
    Blank(&'static str),
    /// A line made bad in one of several ways.
    Bad(Damage, prop::sample::Index),
}

#[derive(Debug, Clone, Copy)]
enum Damage {
    WrongReference,
    PositionZero,
    PositionPastEnd,
    NotANumber,
    SameBase,
    BadBase,
    Twice,
    TwoTokens,
    FourTokens,
    BadPair,
}

fn line() -> impl Strategy<Value = Line> {
    let damage = proptest::sample::select(
        &[
            Damage::WrongReference,
            Damage::PositionZero,
            Damage::PositionPastEnd,
            Damage::NotANumber,
            Damage::SameBase,
            Damage::BadBase,
            Damage::Twice,
            Damage::TwoTokens,
            Damage::FourTokens,
            Damage::BadPair,
        ][..],
    );
    prop_oneof![
        6 => (
            proptest::collection::vec((any::<prop::sample::Index>(), 0usize..3), 1..4),
            any::<bool>(),
            any::<bool>(),
            proptest::sample::select(&[" ", ", ", ";", "\t", " , "][..]),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(picks, compact, region_form, sep, lower, comment)| Line::Triples {
                picks,
                compact,
                region_form,
                sep,
                lower,
                comment
            }),
        1 => proptest::collection::vec(any::<prop::sample::Index>(), 0..3)
            .prop_map(|changes| Line::Pair { changes }),
        2 => proptest::sample::select(&["", "   ", "# a comment", "\t# 12 A G"][..]).prop_map(Line::Blank),
        2 => (damage, any::<prop::sample::Index>()).prop_map(|(d, i)| Line::Bad(d, i)),
    ]
}

fn other_base(b: u8, k: usize) -> u8 {
    let others: Vec<u8> = b"ACGT".iter().copied().filter(|&x| x != b).collect();
    others[k % 3]
}

/// Writes `lines` against `reference` (whose construct is `construct`); returns the text, the
/// 1-based numbers of the bad lines, and for each good line holding a variant its number and
/// the construct positions and bases it changes (`None` for a pair).
#[allow(clippy::type_complexity)]
fn write(
    reference: &str,
    construct: &Construct,
    lines: &[Line],
) -> (String, Vec<usize>, Vec<(usize, Option<Vec<(usize, u8)>>)>) {
    let up = reference.to_ascii_uppercase();
    let bases = construct.bases();
    // Positions with a real base (a 107-109 bp reference is padded with N, which no variant
    // can name as its reference base).
    let real: Vec<usize> = (0..CONSTRUCT_LEN).filter(|&p| bases[p] != b'N').collect();
    // How a 0-based construct position is written: `89`, or `r72` in the random region.
    let written = |p: usize, region_form: bool| {
        if region_form && (RANDOM_START..RANDOM_START + RANDOM_LEN).contains(&p) {
            format!("r{}", p - RANDOM_START + 1)
        } else {
            format!("{}", p + 1)
        }
    };
    let mut text = String::new();
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let n = i + 1;
        let content = match l {
            Line::Triples {
                picks,
                compact,
                region_form,
                sep,
                lower,
                comment,
            } => {
                let mut seen = Vec::new();
                let mut parts = Vec::new();
                let mut changes = Vec::new();
                for (p, k) in picks {
                    let pos = real[p.index(real.len())];
                    if seen.contains(&pos) {
                        continue;
                    }
                    seen.push(pos);
                    let r = bases[pos];
                    let a = other_base(r, *k);
                    let (rc, ac) = if *lower {
                        (
                            r.to_ascii_lowercase() as char,
                            a.to_ascii_lowercase() as char,
                        )
                    } else {
                        (r as char, a as char)
                    };
                    let at = written(pos, *region_form);
                    parts.push(if *compact {
                        format!("{at}{rc}>{ac}")
                    } else {
                        format!("{at} {rc} {ac}")
                    });
                    changes.push((pos, a));
                }
                good.push((n, Some(changes)));
                let mut s = parts.join(sep);
                if *comment {
                    s.push_str(" # note");
                }
                s
            }
            Line::Pair { changes } => {
                let mut alt = up.as_bytes().to_vec();
                for c in changes {
                    let p = c.index(alt.len());
                    alt[p] = other_base(alt[p], p);
                }
                good.push((n, None));
                format!("{up}\t{}", String::from_utf8(alt).unwrap())
            }
            Line::Blank(s) => s.to_string(),
            Line::Bad(d, idx) => {
                bad.push(n);
                let p = real[idx.index(real.len())];
                let pos = p + 1;
                let r = bases[p] as char;
                let a = other_base(bases[p], 0) as char;
                match d {
                    Damage::WrongReference => format!("{pos} {a} {r}"),
                    Damage::PositionZero => format!("0 {r} {a}"),
                    Damage::PositionPastEnd => match idx.index(2) {
                        0 => format!("{} A C", CONSTRUCT_LEN + 1 + idx.index(5)),
                        _ => format!("r{} A C", RANDOM_LEN + 1 + idx.index(5)),
                    },
                    Damage::NotANumber => format!("p{pos} {r} {a}"),
                    Damage::SameBase => format!("{pos} {r} {r}"),
                    Damage::BadBase => format!("{pos} {r} X"),
                    Damage::Twice => format!("{pos} {r} {a}, {}{r}>{a}", written(p, true)),
                    Damage::TwoTokens => format!("{pos} {r}"),
                    Damage::FourTokens => format!("{pos} {r} {a} {pos}"),
                    Damage::BadPair => format!("{up} {}X", &up[1..]),
                }
            }
        };
        text.push_str(&content);
        text.push('\n');
    }
    (text, bad, good)
}

proptest! {
    #![proptest_config(config(1000))]

    /// Any reference and any text: variants or an error, never a panic; what parses keeps
    /// the order of its lines.
    #[test]
    fn arbitrary_text_is_parsed_or_rejected(
        reference in prop_oneof![reference(), any::<String>(), text_from(VARIANT_ALPHABET, 40)],
        text in prop_oneof![any::<String>(), text_from(VARIANT_ALPHABET, 200)],
    ) {
        match parse(&reference, &text) {
            Ok(parsed) => {
                let n_lines = text.lines().count();
                let lines: Vec<usize> = parsed.variants.iter().map(|v| v.line).collect();
                let bad: Vec<usize> = parsed.rejected.iter().map(|e| e.line).collect();
                prop_assert!(lines.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(bad.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(lines.iter().chain(&bad).all(|&n| n >= 1 && n <= n_lines));
                prop_assert!(lines.iter().all(|n| !bad.contains(n)));
                for e in &parsed.rejected {
                    let msg = e.to_string();
                    prop_assert!(msg.starts_with(&format!("variants line {} (", e.line)), "{}", msg);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with("reference sequence: "), "{}", msg);
            }
        }
    }

    /// Generated lists: one variant per good line holding one, applied where the line says,
    /// and one error per bad line, naming it.
    #[test]
    fn generated_lists_parse_line_by_line(
        reference in reference(),
        lines in proptest::collection::vec(line(), 1..12),
    ) {
        let ref_construct = prepare(&reference).unwrap().0;
        let (text, bad, good) = write(&reference, &ref_construct, &lines);
        let parsed = parse(&reference, &text).unwrap();
        let rejected: Vec<usize> = parsed.rejected.iter().map(|e| e.line).collect();
        prop_assert_eq!(&rejected, &bad, "{}", text);
        for e in &parsed.rejected {
            let msg = e.to_string();
            prop_assert!(msg.starts_with(&format!("variants line {} (", e.line)), "{}", msg);
        }
        prop_assert_eq!(parsed.variants.len(), good.len());
        for (v, (n, changes)) in parsed.variants.iter().zip(&good) {
            prop_assert_eq!(v.line, *n);
            match changes {
                Some(changes) => {
                    prop_assert_eq!(v.reference, ref_construct);
                    let mut want = *ref_construct.bases();
                    for &(p, b) in changes {
                        want[p] = b;
                    }
                    prop_assert_eq!(v.alternative.bases(), &want);
                    prop_assert_eq!(v.label.split(',').count(), changes.len());
                    let flank = changes
                        .iter()
                        .any(|&(p, _)| !(RANDOM_START..RANDOM_START + RANDOM_LEN).contains(&p));
                    prop_assert_eq!(v.flank_edit, flank);
                }
                None => prop_assert_eq!(v.label.as_str(), "pair"),
            }
        }
    }
}
