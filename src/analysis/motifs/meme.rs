//! Reading motif files in MEME's minimal text format (the format JASPAR distributes as
//! `*_meme.txt` and `.meme`).
//!
//! What is read, as MEME Suite's reader does:
//!
//! ```text
//! MEME version 4
//! ALPHABET= ACGT
//! strands: + -
//! Background letter frequencies
//! A 0.25 C 0.25 G 0.25 T 0.25
//! MOTIF MA0320.1 IME1
//! letter-probability matrix: alength= 4 w= 8 nsites= 301 E= 0
//!  0.000000  1.000000  0.000000  0.000000
//!  ...
//! URL http://jaspar.genereg.net/matrix/MA0320.1
//! ```
//!
//! Only DNA (`ACGT`) motifs are supported. Anything else MEME writes (log-odds matrices, site
//! lists, prose in full MEME output) is skipped. Errors name the 1-based line.

use crate::error::Error;

/// The DNA letters in the column order of every matrix here.
pub const LETTERS: [u8; 4] = *b"ACGT";

/// One motif: a position probability matrix over `A, C, G, T`.
#[derive(Debug, Clone, PartialEq)]
pub struct Motif {
    /// The identifier after `MOTIF` (for JASPAR, the matrix ID such as `MA0320.1`).
    pub id: String,
    /// The optional second word after `MOTIF` (for JASPAR, the factor name such as `IME1`).
    pub alt_id: Option<String>,
    /// Letter probabilities, one row per motif position, columns `A, C, G, T`, as written in
    /// the file (not normalised, no pseudocount).
    pub probabilities: Vec<[f64; 4]>,
    /// `nsites=` from the matrix header, if given (used to weigh the pseudocount).
    pub nsites: Option<f64>,
    /// The `URL` line, if any.
    pub url: Option<String>,
    /// 1-based line of the `MOTIF` line.
    pub line: usize,
}

impl Motif {
    /// Number of positions.
    pub fn width(&self) -> usize {
        self.probabilities.len()
    }

    /// `id` followed by the alternative name, if any (`MA0320.1 IME1`).
    pub fn label(&self) -> String {
        match &self.alt_id {
            Some(alt) => format!("{} {}", self.id, alt),
            None => self.id.clone(),
        }
    }

    /// The most probable base at each position (ties go to the first of `A, C, G, T`).
    pub fn consensus(&self) -> String {
        self.probabilities
            .iter()
            .map(|row| {
                let best = (1..4).fold(0, |best, j| if row[j] > row[best] { j } else { best });
                LETTERS[best] as char
            })
            .collect()
    }
}

/// The contents of a MEME motif file.
#[derive(Debug, Clone, PartialEq)]
pub struct MotifFile {
    /// The `MEME version` line's version text (`4`, `5.5.7`, ...).
    pub version: String,
    /// The `Background letter frequencies` (A, C, G, T) if the file gives them.
    pub background: Option<[f64; 4]>,
    /// Whether the `strands:` line lists both strands (`true` when there is no such line).
    pub both_strands: bool,
    /// The motifs, in file order.
    pub motifs: Vec<Motif>,
}

impl MotifFile {
    /// The motif with this id (exact), or else the only motif with this alternative name
    /// (case-insensitive).
    pub fn find(&self, name: &str) -> Result<&Motif, Error> {
        if let Some(m) = self.motifs.iter().find(|m| m.id == name) {
            return Ok(m);
        }
        let by_alt: Vec<&Motif> = self
            .motifs
            .iter()
            .filter(|m| {
                m.alt_id
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(name))
            })
            .collect();
        match by_alt.as_slice() {
            [one] => Ok(one),
            [] => Err(Error::Invalid(format!(
                "no motif with id or name '{name}' in the motif file"
            ))),
            many => Err(Error::Invalid(format!(
                "motif name '{name}' is ambiguous: {}; give the id",
                many.iter()
                    .map(|m| m.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

fn line_error(line: usize, message: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("motif file line {line}: {message}"))
}

/// A number as MEME writes it (`0.25`, `1e-3`, `.5`); `None` if the token is not one.
fn number(token: &str) -> Option<f64> {
    let first = token.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'.' | b'-' | b'+')) {
        return None;
    }
    token.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Whether a line is a row of numbers (a matrix row).
fn is_numeric_row(line: &str) -> bool {
    let mut tokens = line.split_whitespace().peekable();
    tokens.peek().is_some() && tokens.all(|t| number(t).is_some())
}

/// `key= value` pairs of a matrix header (`alength= 4 w= 8 nsites= 301 E= 0`); MEME allows
/// spaces on either side of `=`.
fn key_values(text: &str, line: usize) -> Result<Vec<(String, String)>, Error> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // Rebuild "key = value" from tokens that may or may not be split around '='.
    while i < tokens.len() {
        let t = tokens[i];
        let (key, rest) = match t.find('=') {
            Some(at) => (&t[..at], &t[at + 1..]),
            None => {
                if tokens.get(i + 1).is_some_and(|n| n.starts_with('=')) {
                    i += 1;
                    (t, &tokens[i][1..])
                } else {
                    return Err(line_error(
                        line,
                        format!("cannot read '{t}' as a key= value pair in the matrix header"),
                    ));
                }
            }
        };
        let value = if rest.is_empty() {
            i += 1;
            tokens.get(i).copied().ok_or_else(|| {
                line_error(line, format!("'{key}=' has no value in the matrix header"))
            })?
        } else {
            rest
        };
        if key.is_empty() {
            return Err(line_error(line, "'=' without a key in the matrix header"));
        }
        out.push((key.to_ascii_lowercase(), value.to_string()));
        i += 1;
    }
    Ok(out)
}

/// Where the parser is.
enum State {
    /// Reading file-level lines (or prose between motifs).
    Outside,
    /// Reading `Background letter frequencies` pairs; holds what was read so far.
    Background([Option<f64>; 4]),
    /// Reading the rows of a letter-probability matrix: expected rows (if `w=` was given).
    Matrix(Option<usize>),
    /// Skipping the rows of a log-odds matrix.
    LogOdds,
}

/// Parses a motif file in MEME text format.
///
/// Rows are kept as written; the scanner's scoring matrix (`Pssm`, built from each [`Motif`])
/// normalises them and adds the pseudocount the way MEME Suite does. Errors name the 1-based
/// line.
pub fn parse_meme(text: &str) -> Result<MotifFile, Error> {
    let mut version: Option<String> = None;
    let mut background: Option<[f64; 4]> = None;
    let mut both_strands = true;
    let mut motifs: Vec<Motif> = Vec::new();
    let mut state = State::Outside;
    let mut matrix_line = 0;

    for (index, raw) in text.lines().enumerate() {
        let n = index + 1;
        let line = raw.trim();

        // Lines that continue a multi-line section.
        match &mut state {
            State::Background(seen) => {
                if line.is_empty() {
                    continue;
                }
                let tokens: Vec<&str> = line.split_whitespace().collect();
                if !tokens.len().is_multiple_of(2) {
                    return Err(line_error(
                        n,
                        "background frequencies must be letter/value pairs such as 'A 0.3 C 0.2'",
                    ));
                }
                for pair in tokens.chunks(2) {
                    let letter = pair[0].to_ascii_uppercase();
                    let Some(col) = LETTERS.iter().position(|&l| letter.as_bytes() == [l]) else {
                        return Err(line_error(
                            n,
                            format!(
                                "background letter '{}' is not one of A, C, G, T (only DNA motifs are supported)",
                                pair[0]
                            ),
                        ));
                    };
                    let value = number(pair[1]).filter(|v| *v >= 0.0).ok_or_else(|| {
                        line_error(
                            n,
                            format!("background frequency '{}' is not a number >= 0", pair[1]),
                        )
                    })?;
                    seen[col] = Some(value);
                }
                if seen.iter().all(Option::is_some) {
                    let bg = seen.map(|v| v.expect("checked"));
                    if bg.iter().sum::<f64>() <= 0.0 {
                        return Err(line_error(n, "background frequencies sum to 0"));
                    }
                    background = Some(bg);
                    state = State::Outside;
                }
                continue;
            }
            State::Matrix(expected) => {
                let motif = motifs.last_mut().expect("a matrix belongs to a motif");
                let done = expected.is_some_and(|w| motif.probabilities.len() == w);
                if !done && line.is_empty() && expected.is_some() {
                    continue;
                }
                if !done && is_numeric_row(line) {
                    let values: Vec<f64> = line
                        .split_whitespace()
                        .map(|t| number(t).expect("numeric row"))
                        .collect();
                    if values.len() != 4 {
                        return Err(line_error(
                            n,
                            format!(
                                "motif {}: a matrix row needs 4 values (A C G T), found {}",
                                motif.id,
                                values.len()
                            ),
                        ));
                    }
                    if let Some(v) = values.iter().find(|v| **v < 0.0) {
                        return Err(line_error(
                            n,
                            format!("motif {}: negative probability {v}", motif.id),
                        ));
                    }
                    if values.iter().sum::<f64>() <= 0.0 {
                        return Err(line_error(
                            n,
                            format!("motif {}: a matrix row sums to 0", motif.id),
                        ));
                    }
                    motif
                        .probabilities
                        .push([values[0], values[1], values[2], values[3]]);
                    continue;
                }
                if let Some(w) = expected
                    && motif.probabilities.len() < *w
                {
                    return Err(line_error(
                        n,
                        format!(
                            "motif {}: the matrix header at line {matrix_line} says w= {w} but only {} rows follow",
                            motif.id,
                            motif.probabilities.len()
                        ),
                    ));
                }
                if motif.probabilities.is_empty() {
                    return Err(line_error(
                        n,
                        format!(
                            "motif {}: the letter-probability matrix has no rows",
                            motif.id
                        ),
                    ));
                }
                state = State::Outside;
                // This line is not part of the matrix: fall through and read it normally.
            }
            State::LogOdds => {
                if line.is_empty() || is_numeric_row(line) {
                    continue;
                }
                state = State::Outside;
            }
            State::Outside => {}
        }

        if line.is_empty() {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");

        if version.is_none() {
            if first.eq_ignore_ascii_case("MEME")
                && words
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case("version"))
            {
                version = Some(words.next().unwrap_or("").to_string());
                continue;
            }
            if first == "MOTIF" || lower.starts_with("letter-probability") {
                return Err(line_error(
                    n,
                    "motif before the 'MEME version' line: this is not a MEME-format motif file",
                ));
            }
            // MEME's reader skips anything before the version line.
            continue;
        }

        if lower.starts_with("alphabet") {
            let rest = line["alphabet".len()..].trim_start();
            let Some(letters) = rest.strip_prefix('=') else {
                return Err(line_error(
                    n,
                    "custom alphabet definitions are not supported (only 'ALPHABET= ACGT')",
                ));
            };
            if !letters.trim().eq_ignore_ascii_case("ACGT") {
                return Err(line_error(
                    n,
                    format!(
                        "alphabet '{}' is not supported (only DNA motifs, 'ALPHABET= ACGT')",
                        letters.trim()
                    ),
                ));
            }
        } else if lower.starts_with("strands") && line.contains(':') {
            let spec = &line[line.find(':').expect("checked") + 1..];
            both_strands = spec.contains('+') && spec.contains('-');
        } else if lower.starts_with("background letter frequencies") {
            state = State::Background([None; 4]);
        } else if first == "MOTIF"
            || (first == "BL" && line.split_whitespace().nth(1) == Some("MOTIF"))
        {
            let mut rest = line
                .split_whitespace()
                .skip_while(|w| *w != "MOTIF")
                .skip(1);
            let Some(id) = rest.next() else {
                return Err(line_error(n, "'MOTIF' without an identifier"));
            };
            if let Some(prev) = motifs.last()
                && prev.probabilities.is_empty()
            {
                return Err(line_error(
                    prev.line,
                    format!("motif {} has no letter-probability matrix", prev.id),
                ));
            }
            let alt_id = rest.next().filter(|a| !a.contains('=')).map(str::to_string);
            motifs.push(Motif {
                id: id.to_string(),
                alt_id,
                probabilities: Vec::new(),
                nsites: None,
                url: None,
                line: n,
            });
        } else if lower.starts_with("letter-probability matrix") {
            let Some(motif) = motifs.last_mut() else {
                return Err(line_error(
                    n,
                    "letter-probability matrix before any 'MOTIF' line",
                ));
            };
            if !motif.probabilities.is_empty() {
                return Err(line_error(
                    n,
                    format!("motif {} has a second letter-probability matrix", motif.id),
                ));
            }
            let header = line.split_once(':').map(|(_, h)| h).unwrap_or("");
            let mut width = None;
            for (key, value) in key_values(header, n)? {
                let bad = |what: &str| {
                    line_error(
                        n,
                        format!("motif {}: {key}= '{value}' is not {what}", motif.id),
                    )
                };
                match key.as_str() {
                    "alength" => {
                        let alength = value.parse::<usize>().map_err(|_| bad("an integer"))?;
                        if alength != 4 {
                            return Err(line_error(
                                n,
                                format!(
                                    "motif {}: alength= {value}, but only DNA (4 letters) is supported",
                                    motif.id
                                ),
                            ));
                        }
                    }
                    "w" => {
                        let w = value
                            .parse::<usize>()
                            .map_err(|_| bad("a positive integer"))?;
                        if w == 0 {
                            return Err(bad("a positive integer"));
                        }
                        width = Some(w);
                    }
                    "nsites" => {
                        let v = number(&value)
                            .filter(|v| *v >= 0.0)
                            .ok_or_else(|| bad("a number >= 0"))?;
                        motif.nsites = Some(v);
                    }
                    _ => {} // E= and anything else MEME writes is not needed for scanning.
                }
            }
            matrix_line = n;
            state = State::Matrix(width);
        } else if lower.starts_with("log-odds matrix") {
            state = State::LogOdds;
        } else if first.eq_ignore_ascii_case("URL")
            && let Some(motif) = motifs.last_mut()
        {
            motif.url = words.next().map(str::to_string);
        }
        // Other lines (prose, site lists in full MEME output) are not needed.
    }

    // End of input inside a section.
    let last_line = text.lines().count();
    match state {
        State::Background(_) => {
            return Err(line_error(
                last_line,
                "the file ends inside 'Background letter frequencies' (need A, C, G and T)",
            ));
        }
        State::Matrix(Some(w)) => {
            let motif = motifs.last().expect("a matrix belongs to a motif");
            if motif.probabilities.len() < w {
                return Err(line_error(
                    last_line,
                    format!(
                        "motif {}: the matrix header at line {matrix_line} says w= {w} but only {} rows follow",
                        motif.id,
                        motif.probabilities.len()
                    ),
                ));
            }
        }
        _ => {}
    }
    let Some(version) = version else {
        return Err(line_error(
            1,
            "no 'MEME version' line: this is not a MEME-format motif file",
        ));
    };
    if let Some(m) = motifs.iter().find(|m| m.probabilities.is_empty()) {
        return Err(line_error(
            m.line,
            format!("motif {} has no letter-probability matrix", m.id),
        ));
    }
    if motifs.is_empty() {
        return Err(line_error(last_line.max(1), "the file contains no motifs"));
    }
    Ok(MotifFile {
        version,
        background,
        both_strands,
        motifs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n\
        Background letter frequencies\nA 0.3 C 0.2 G 0.2\nT 0.3\n\n\
        MOTIF M1 ONE\nletter-probability matrix: alength= 4 w= 2 nsites= 20 E= 0\n\
        0.1 0.2 0.3 0.4\n 1 0 0 0\nURL http://example.org/M1\n\n\
        MOTIF M2\nletter-probability matrix: alength=4 w=1\n0.25 0.25 0.25 0.25\n";

    #[test]
    fn reads_header_background_and_motifs() {
        let f = parse_meme(SMALL).unwrap();
        assert_eq!(f.version, "4");
        assert_eq!(f.background, Some([0.3, 0.2, 0.2, 0.3]));
        assert!(f.both_strands);
        assert_eq!(f.motifs.len(), 2);
        let m = &f.motifs[0];
        assert_eq!(
            (m.id.as_str(), m.alt_id.as_deref(), m.line),
            ("M1", Some("ONE"), 11)
        );
        assert_eq!(
            m.probabilities,
            vec![[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 0.0, 0.0]]
        );
        assert_eq!(m.nsites, Some(20.0));
        assert_eq!(m.url.as_deref(), Some("http://example.org/M1"));
        assert_eq!(m.consensus(), "TA");
        assert_eq!(f.motifs[1].nsites, None);
        assert_eq!(f.find("ONE").unwrap().id, "M1");
        assert!(f.find("nope").is_err());
    }

    #[test]
    fn errors_name_the_line() {
        let bad_row = SMALL.replace(" 1 0 0 0", " 1 0 0");
        let e = parse_meme(&bad_row).unwrap_err().to_string();
        assert!(e.contains("line 14") && e.contains("4 values"), "{e}");
        let short = SMALL.replace("alength= 4 w= 2", "alength= 4 w= 3");
        let e = parse_meme(&short).unwrap_err().to_string();
        assert!(e.contains("line 15") && e.contains("w= 3"), "{e}");
        let e = parse_meme("MOTIF X\n").unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("MEME version"), "{e}");
        let e = parse_meme("MEME version 4\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("not supported"), "{e}");
        let e = parse_meme(
            "MEME version 4\nMOTIF A\nMOTIF B\nletter-probability matrix: w= 1\n1 0 0 0\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("line 2") && e.contains("no letter-probability"),
            "{e}"
        );
    }
}
