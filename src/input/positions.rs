//! Positions as users type and read them: one convention in every panel and command.
//!
//! A plain number is a **1-based position in the 110-bp construct**, the sequence the model
//! sees; ISM, design edits (`89T>G`), variants and attributions all count this way. The 80-bp
//! random region is construct 18-97. Where a position in the random region is more natural
//! (motif placements, frozen positions), write it with an `r`: `r72` is random-region position
//! 72, construct position 89. Every place that takes a position accepts both forms, and
//! [`describe`] shows both (`89 (region 72)`).

use crate::input::sequence::{CONSTRUCT_LEN, RANDOM_LEN, RANDOM_START};

/// Where a 0-based construct position lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The constant 5' flank (construct 1-17).
    Flank5,
    /// The 80-bp random region, with its 1-based region position.
    Region(usize),
    /// The constant 3' flank (construct 98-110).
    Flank3,
}

/// The part of the construct that 0-based `pos` lies in.
pub fn part(pos: usize) -> Part {
    if pos < RANDOM_START {
        Part::Flank5
    } else if pos < RANDOM_START + RANDOM_LEN {
        Part::Region(pos - RANDOM_START + 1)
    } else {
        Part::Flank3
    }
}

/// Whether 0-based construct position `pos` is in a constant flank.
pub fn in_flank(pos: usize) -> bool {
    !matches!(part(pos), Part::Region(_))
}

/// A 0-based construct position written for people: `89 (region 72)`, `5 (5' flank)`.
pub fn describe(pos: usize) -> String {
    match part(pos) {
        Part::Flank5 => format!("{} (5' flank)", pos + 1),
        Part::Region(r) => format!("{} (region {r})", pos + 1),
        Part::Flank3 => format!("{} (3' flank)", pos + 1),
    }
}

/// Reads one position, `89` (construct) or `r72` (random region), into a 0-based construct
/// position. The message of an error says what was wrong and what is allowed.
pub fn parse(token: &str) -> Result<usize, String> {
    let token = token.trim();
    let (region, digits) = match token.strip_prefix(['r', 'R']) {
        Some(rest) => (true, rest.trim_start()),
        None => (false, token),
    };
    let n: usize = digits
        .parse()
        .ok()
        .filter(|_| digits.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            format!(
                "'{token}' is not a position: write a construct position (1-{CONSTRUCT_LEN}) or \
                 a random-region position with an r (r1-r{RANDOM_LEN})"
            )
        })?;
    if region {
        if !(1..=RANDOM_LEN).contains(&n) {
            return Err(format!(
                "'{token}' is outside the random region (r1-r{RANDOM_LEN})"
            ));
        }
        Ok(RANDOM_START + n - 1)
    } else {
        if !(1..=CONSTRUCT_LEN).contains(&n) {
            return Err(format!(
                "'{token}' is outside the {CONSTRUCT_LEN}-bp construct (1-{CONSTRUCT_LEN}; \
                 r1-r{RANDOM_LEN} for the random region)"
            ));
        }
        Ok(n - 1)
    }
}

/// Reads one position that must lie in the random region (`47` or `r30`) as a 1-based
/// random-region position, which the motif what-ifs and the design search take.
pub fn parse_in_region(token: &str) -> Result<usize, String> {
    let pos = parse(token)?;
    match part(pos) {
        Part::Region(r) => Ok(r),
        _ => Err(format!(
            "position {} is in a constant flank; edits go in the random region (construct \
             {}-{}, or r1-r{RANDOM_LEN})",
            describe(pos),
            RANDOM_START + 1,
            RANDOM_START + RANDOM_LEN
        )),
    }
}

/// Reads a list of positions and ranges (`18-25, r3 r10-r12; 90`), separated by spaces, commas
/// or semicolons, into sorted, distinct 0-based construct positions.
pub fn parse_list(text: &str) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for token in text
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|t| !t.is_empty())
    {
        let (a, b) = match token.split_once(['-', '–']) {
            Some((a, b)) => {
                // `r10-12` means r10-r12: the prefix of the start holds for the end.
                let b = if a.starts_with(['r', 'R']) && !b.starts_with(['r', 'R']) {
                    format!("r{b}")
                } else {
                    b.to_string()
                };
                (parse(a)?, parse(&b)?)
            }
            None => (parse(token)?, parse(token)?),
        };
        if a > b {
            return Err(format!("'{token}': the range runs backwards"));
        }
        out.extend(a..=b);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construct_and_region_positions() {
        assert_eq!(parse("89"), Ok(88));
        assert_eq!(parse("r72"), Ok(88));
        assert_eq!(parse("R1"), Ok(RANDOM_START));
        assert_eq!(parse("1"), Ok(0));
        assert_eq!(parse("110"), Ok(109));
        for bad in ["0", "111", "r0", "r81", "x", "8.5", "-3", "r", "+5"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("r81").unwrap_err().contains("r1-r80"));
    }

    #[test]
    fn describe_names_the_part() {
        assert_eq!(describe(88), "89 (region 72)");
        assert_eq!(describe(4), "5 (5' flank)");
        assert_eq!(describe(100), "101 (3' flank)");
        assert!(in_flank(16) && !in_flank(17) && !in_flank(96) && in_flank(97));
    }

    #[test]
    fn region_only_positions() {
        assert_eq!(parse_in_region("47"), Ok(30));
        assert_eq!(parse_in_region("r30"), Ok(30));
        assert!(parse_in_region("5").unwrap_err().contains("5 (5' flank)"));
        assert!(parse_in_region("98").is_err());
    }

    #[test]
    fn lists_and_ranges() {
        assert_eq!(
            parse_list("18-20, r1;r10-12 20").unwrap(),
            [17, 18, 19, 26, 27, 28]
        );
        assert_eq!(parse_list("").unwrap(), Vec::<usize>::new());
        assert!(parse_list("30-20").unwrap_err().contains("backwards"));
        assert!(parse_list("5 x").unwrap_err().contains("'x'"));
    }
}
