//! The MEME motif reader: arbitrary text, the shipped motif files with random damage, and
//! generated motif files that must read back exactly. Whatever it accepts must also build
//! scanning matrices or fail with a message (the browser's `scanMotifs` does both steps).

use camformer::analysis::motifs::{
    Background, JASPAR_FUNGI, MotifFile, PAPER_MOTIFS, ScanOptions, Scanner, parse_meme,
};
use proptest::prelude::*;

use super::{apply_edits, config, text_edit, text_from};

const TEST_MOTIFS: &str = include_str!("../../data/motifs/jaspar2024_ime1_ume6.meme");

const MEME_ALPHABET: &[&str] = &[
    "MEME version 4\n",
    "ALPHABET= ACGT\n",
    "ALPHABET= ACDE\n",
    "strands: + -\n",
    "strands: +\n",
    "Background letter frequencies\n",
    "A 0.3 C 0.2 G 0.2 T 0.3\n",
    "A ",
    "MOTIF ",
    "M1 ",
    "BL   MOTIF ",
    "letter-probability matrix: ",
    "log-odds matrix: ",
    "alength= ",
    "w= ",
    "nsites= ",
    "E= ",
    "=",
    "4 ",
    "1 ",
    "0 ",
    "2 ",
    "0.25 ",
    "1e308 ",
    "-0.5 ",
    "nan ",
    " ",
    "\n",
    "\r\n",
    "\t",
    "URL http://x\n",
];

/// Parses `text`; on success checks the file's invariants and that scanning with it works or
/// fails cleanly under a few option sets.
fn parse_and_use(text: &str, seq: &[u8]) {
    match parse_meme(text) {
        Ok(file) => {
            check_file(&file);
            scan_with(&file, seq);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("line "), "errors name a line: {msg}");
        }
    }
}

fn check_file(file: &MotifFile) {
    assert!(!file.motifs.is_empty());
    for m in &file.motifs {
        assert!(m.width() > 0, "motif {} has rows", m.id);
        assert!(!m.id.is_empty());
        for row in &m.probabilities {
            assert!(row.iter().all(|v| v.is_finite() && *v >= 0.0), "{row:?}");
            assert!(row.iter().sum::<f64>() > 0.0);
        }
        assert_eq!(m.consensus().len(), m.width());
    }
    if let Some(bg) = file.background {
        assert!(bg.iter().all(|v| v.is_finite() && *v >= 0.0));
    }
}

fn scan_with(file: &MotifFile, seq: &[u8]) {
    // Matrices are as large as the motifs (1,001 p-values per position): skip absurd widths.
    if file.motifs.iter().map(|m| m.width()).sum::<usize>() > 2_000 {
        return;
    }
    for options in [
        ScanOptions::default(),
        ScanOptions {
            background: Background::MotifFile,
            pseudocount: 0.0,
            p_threshold: 1.0,
            both_strands: file.both_strands,
        },
        ScanOptions {
            background: Background::Given([1e308, 1e308, 0.0, 1e-308]),
            pseudocount: 1e300,
            p_threshold: f64::MIN_POSITIVE,
            both_strands: true,
        },
    ] {
        if let Ok(scanner) = Scanner::new(file, options) {
            for hit in scanner.scan(seq) {
                assert!(hit.motif < file.motifs.len());
                let w = file.motifs[hit.motif].width();
                assert_eq!(hit.end + 1 - hit.start, w);
                assert!(hit.start >= 1 && hit.end <= seq.len());
                assert!(hit.p_value <= options.p_threshold && hit.p_value >= 0.0);
                assert!(hit.score.is_finite(), "{hit:?}");
            }
        }
    }
}

fn scan_sequence() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(proptest::sample::select(&b"ACGTACGTacgtNX"[..]), 0..120)
}

proptest! {
    #![proptest_config(config(500))]

    /// Any text, and text made of MEME's keywords and numbers: `Ok` or an `Err` naming a line.
    #[test]
    fn arbitrary_text_is_read_or_rejected(
        text in prop_oneof![any::<String>(), text_from(MEME_ALPHABET, 120)],
        seq in scan_sequence(),
    ) {
        parse_and_use(&text, &seq);
    }

    /// The shipped and test motif files with lines and tokens deleted, repeated, swapped,
    /// replaced by junk or cut: `Ok` or an `Err` naming a line; what is read scans.
    #[test]
    fn damaged_real_files_are_read_or_rejected(
        file in prop_oneof![Just(TEST_MOTIFS), Just(PAPER_MOTIFS), Just(JASPAR_FUNGI)],
        edits in proptest::collection::vec(text_edit(), 1..6),
        seq in scan_sequence(),
    ) {
        // JASPAR's 178 motifs take long to scan: damage only its first motifs.
        let file = if file.len() > 20_000 { &file[..file[..6_000].rfind("\nMOTIF").unwrap()] } else { file };
        let text = apply_edits(file, &edits);
        parse_and_use(&text, &seq);
    }
}

/// A generated motif, and how to write it.
#[derive(Debug, Clone)]
struct GenMotif {
    id: String,
    alt: Option<String>,
    rows: Vec<[f64; 4]>,
    nsites: Option<u32>,
    /// Write `w=` in the header (a matrix without it ends at the first non-numeric line).
    give_width: bool,
    /// Write `key = value` with spaces around `=`.
    spaced: bool,
    url: Option<String>,
    blank_after_rows: bool,
}

fn gen_motif() -> impl Strategy<Value = GenMotif> {
    let value = prop_oneof![
        3 => 0.0f64..1.0,
        1 => Just(0.0),
        1 => Just(1.0),
        1 => 0.0f64..1e6,
    ];
    let row = proptest::array::uniform4(value)
        .prop_filter("a row sums to more than 0", |r| r.iter().sum::<f64>() > 0.0);
    (
        "[A-Za-z0-9_.]{1,10}",
        proptest::option::of("[A-Za-z0-9_]{1,8}"),
        proptest::collection::vec(row, 1..25),
        proptest::option::of(0u32..1000),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of("[a-z:/.]{1,20}"),
        any::<bool>(),
    )
        .prop_map(
            |(id, alt, rows, nsites, give_width, spaced, url, blank_after_rows)| GenMotif {
                id,
                alt,
                rows,
                nsites,
                give_width,
                spaced,
                url,
                blank_after_rows,
            },
        )
}

fn write_meme(motifs: &[GenMotif], background: Option<[f64; 4]>, crlf: bool) -> String {
    let mut out = String::from("MEME version 5.5.7\n\nALPHABET= ACGT\n\nstrands: + -\n\n");
    if let Some(bg) = background {
        out.push_str(&format!(
            "Background letter frequencies\nA {} C {}\nG {} T {}\n\n",
            bg[0], bg[1], bg[2], bg[3]
        ));
    }
    for m in motifs {
        out.push_str(&format!("MOTIF {}", m.id));
        if let Some(alt) = &m.alt {
            out.push_str(&format!(" {alt}"));
        }
        let eq = if m.spaced { " = " } else { "= " };
        out.push_str(&format!("\nletter-probability matrix: alength{eq}4"));
        if m.give_width {
            out.push_str(&format!(" w{eq}{}", m.rows.len()));
        }
        if let Some(n) = m.nsites {
            out.push_str(&format!(" nsites{eq}{n}"));
        }
        out.push_str(" E= 0\n");
        for r in &m.rows {
            out.push_str(&format!(" {} {}\t{}  {}\n", r[0], r[1], r[2], r[3]));
        }
        if m.blank_after_rows {
            out.push('\n');
        }
        if let Some(url) = &m.url {
            out.push_str(&format!("URL {url}\n"));
        }
        out.push('\n');
    }
    if crlf { out.replace('\n', "\r\n") } else { out }
}

proptest! {
    #![proptest_config(config(128))]

    /// Generated motif files read back with every motif, its names, dimensions, values and
    /// site count as written.
    #[test]
    fn generated_files_round_trip(
        motifs in proptest::collection::vec(gen_motif(), 1..6),
        background in proptest::option::of(proptest::array::uniform4(0.01f64..1.0)),
        crlf in any::<bool>(),
        seq in scan_sequence(),
    ) {
        let text = write_meme(&motifs, background, crlf);
        let file = parse_meme(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(file.version.as_str(), "5.5.7");
        prop_assert_eq!(file.background, background);
        prop_assert!(file.both_strands);
        prop_assert_eq!(file.motifs.len(), motifs.len());
        for (got, want) in file.motifs.iter().zip(&motifs) {
            prop_assert_eq!(&got.id, &want.id);
            prop_assert_eq!(&got.alt_id, &want.alt);
            prop_assert_eq!(got.width(), want.rows.len());
            prop_assert_eq!(&got.probabilities, &want.rows);
            prop_assert_eq!(got.nsites, want.nsites.map(f64::from));
            prop_assert_eq!(&got.url, &want.url);
        }
        check_file(&file);
        scan_with(&file, &seq);
    }
}
