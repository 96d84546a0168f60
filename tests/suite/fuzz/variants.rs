//! The variants parser: arbitrary text, and generated variant lists (`pos ref alt` triples,
//! `12A>G`, sequence pairs, comments, blank lines) with one or more damaged lines.
//!
//! The parser returns the variants or the error of the first bad line (the browser and the
//! CLI show that one and stop), so a list with bad lines must fail naming the first of them,
//! and a list without must give one variant per line that holds any.

use camformer::analysis::variants::parse;
use camformer::input::sequence::{RANDOM_LEN, RANDOM_START, prepare};
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
            proptest::sample::select(&[" ", ", ", ";", "\t", " , "][..]),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(picks, compact, sep, lower, comment)| Line::Triples {
                picks,
                compact,
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

/// Writes `lines` against `reference`; returns the text, the 1-based number of the first bad
/// line, and for each good line holding a variant its number and the construct positions and
/// bases it changes (`None` for a pair).
#[allow(clippy::type_complexity)]
fn write(
    reference: &str,
    lines: &[Line],
) -> (
    String,
    Option<usize>,
    Vec<(usize, Option<Vec<(usize, u8)>>)>,
) {
    let up = reference.to_ascii_uppercase();
    let bases = up.as_bytes();
    let shift = if bases.len() == RANDOM_LEN {
        RANDOM_START
    } else {
        0
    };
    // Positions (1-based on the reference) that can be changed: inside the 110-bp construct.
    let usable = bases.len().min(110 - shift);
    let mut text = String::new();
    let mut first_bad = None;
    let mut good = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let n = i + 1;
        let content = match l {
            Line::Triples {
                picks,
                compact,
                sep,
                lower,
                comment,
            } => {
                let mut positions: Vec<usize> =
                    picks.iter().map(|(p, _)| p.index(usable) + 1).collect();
                positions.dedup();
                let mut seen = Vec::new();
                let mut parts = Vec::new();
                let mut changes = Vec::new();
                for (&pos, (_, k)) in positions.iter().zip(picks) {
                    if seen.contains(&pos) {
                        continue;
                    }
                    seen.push(pos);
                    let r = bases[pos - 1];
                    let a = other_base(r, *k);
                    let (rc, ac) = if *lower {
                        (
                            r.to_ascii_lowercase() as char,
                            a.to_ascii_lowercase() as char,
                        )
                    } else {
                        (r as char, a as char)
                    };
                    parts.push(if *compact {
                        format!("{pos}{rc}>{ac}")
                    } else {
                        format!("{pos} {rc} {ac}")
                    });
                    changes.push((pos - 1 + shift, a));
                }
                good.push((n, Some(changes)));
                let mut s = parts.join(sep);
                if *comment {
                    s.push_str(" # note");
                }
                s
            }
            Line::Pair { changes } => {
                let mut alt = bases.to_vec();
                for c in changes {
                    let p = c.index(alt.len());
                    alt[p] = other_base(alt[p], p);
                }
                good.push((n, None));
                format!("{up}\t{}", String::from_utf8(alt).unwrap())
            }
            Line::Blank(s) => s.to_string(),
            Line::Bad(d, idx) => {
                first_bad.get_or_insert(n);
                let pos = idx.index(usable) + 1;
                let r = bases[pos - 1] as char;
                let a = other_base(bases[pos - 1], 0) as char;
                match d {
                    Damage::WrongReference => format!("{pos} {a} {r}"),
                    Damage::PositionZero => format!("0 {r} {a}"),
                    Damage::PositionPastEnd => format!("{} A C", bases.len() + 1 + idx.index(5)),
                    Damage::NotANumber => format!("p{pos} {r} {a}"),
                    Damage::SameBase => format!("{pos} {r} {r}"),
                    Damage::BadBase => format!("{pos} {r} X"),
                    Damage::Twice => format!("{pos} {r} {a}, {pos}{r}>{a}"),
                    Damage::TwoTokens => format!("{pos} {r}"),
                    Damage::FourTokens => format!("{pos} {r} {a} {pos}"),
                    Damage::BadPair => format!("{up} {}X", &up[1..]),
                }
            }
        };
        text.push_str(&content);
        text.push('\n');
    }
    (text, first_bad, good)
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
            Ok(list) => {
                let n_lines = text.lines().count();
                prop_assert!(list.windows(2).all(|w| w[0].line < w[1].line));
                prop_assert!(list.iter().all(|v| v.line >= 1 && v.line <= n_lines));
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with("reference sequence: ") || msg.starts_with("variants line "), "{}", msg);
            }
        }
    }

    /// Generated lists: one variant per line holding one, applied where the line says; a list
    /// with a bad line is an error naming the first bad line.
    #[test]
    fn generated_lists_parse_line_by_line(
        reference in reference(),
        lines in proptest::collection::vec(line(), 1..12),
    ) {
        let (text, first_bad, good) = write(&reference, &lines);
        let ref_construct = prepare(&reference).unwrap().0;
        match (parse(&reference, &text), first_bad) {
            (Ok(list), None) => {
                prop_assert_eq!(list.len(), good.len());
                for (v, (n, changes)) in list.iter().zip(&good) {
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
                        }
                        None => prop_assert_eq!(v.label.as_str(), "pair"),
                    }
                }
            }
            (Err(e), Some(n)) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with(&format!("variants line {n} (")), "line {}: {}\n{}", n, msg, text);
            }
            (got, want) => {
                return Err(TestCaseError::fail(format!(
                    "expected first bad line {want:?}, got {got:?}\n{text}"
                )));
            }
        }
    }
}
