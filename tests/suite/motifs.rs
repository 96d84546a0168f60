//! Motif scanning reproduces real FIMO output (scores, p-values, coordinates, matched sites);
//! p-values equal a brute-force enumeration; the `camformer motifs` command-line contract; and
//! motif what-if analyses equal predictions of the edited constructs.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use camformer::analysis::motif_effects::{self, Edit, Site, Slot};
use camformer::analysis::motifs::{
    self, Background, Motif, Pssm, ScanOptions, Scanner, Strand, format_g, parse_meme,
};
use camformer::input::records::RecordReader;
use camformer::input::sequence::{RANDOM_LEN, RANDOM_START};
use camformer::{Construct, Predictor};

use super::common::{data, fixture};

fn read(path: &str) -> String {
    std::fs::read_to_string(data(path)).unwrap()
}

/// `tests/data/motifs/dream_test_random_regions.fa` as (name, sequence).
fn fixture_sequences() -> Vec<(String, String)> {
    RecordReader::new(read("motifs/dream_test_random_regions.fa").as_bytes())
        .map(|r| {
            let r = r.unwrap().unwrap();
            (r.name, r.sequence)
        })
        .collect()
}

fn fixture_scanner() -> Scanner {
    let file = parse_meme(&read("motifs/jaspar2024_ime1_ume6.meme")).unwrap();
    Scanner::new(&file, ScanOptions::default()).unwrap()
}

/// A TSV file as rows of cells, header included.
fn tsv(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

/// One row of FIMO's output (`fimo_dream_test.tsv`).
struct FimoRow {
    motif: String,
    sequence: String,
    start: usize,
    stop: usize,
    strand: String,
    score: String,
    p_value: String,
    matched: String,
}

fn fimo_rows() -> Vec<FimoRow> {
    let rows = tsv(&read("motifs/fimo_dream_test.tsv"));
    assert_eq!(
        rows[0],
        [
            "motif_id",
            "sequence_name",
            "start",
            "stop",
            "strand",
            "score",
            "p-value",
            "matched_sequence"
        ]
    );
    rows[1..]
        .iter()
        .map(|r| FimoRow {
            motif: r[0].clone(),
            sequence: r[1].clone(),
            start: r[2].parse().unwrap(),
            stop: r[3].parse().unwrap(),
            strand: r[4].clone(),
            score: r[5].clone(),
            p_value: r[6].clone(),
            matched: r[7].clone(),
        })
        .collect()
}

#[test]
fn scan_reproduces_fimo_on_dream_test_sequences() {
    let scanner = fixture_scanner();
    let ids: Vec<&str> = scanner.pssms().iter().map(|p| p.id()).collect();
    assert_eq!(ids, ["MA0320.1", "MA0412.1", "MA0412.2", "MA0412.3"]);
    let sequences = fixture_sequences();
    assert_eq!(sequences.len(), 39);
    let hits: HashMap<&str, Vec<motifs::Hit>> = sequences
        .iter()
        .map(|(name, seq)| (name.as_str(), scanner.scan(seq.as_bytes())))
        .collect();

    let fimo = fimo_rows();
    assert_eq!(fimo.len(), 62);
    let (mut worst_score, mut worst_p) = (0f64, 0f64);
    for row in &fimo {
        let found = hits[row.sequence.as_str()]
            .iter()
            .find(|h| {
                ids[h.motif] == row.motif
                    && h.start == row.start
                    && h.strand.to_string() == row.strand
            })
            .unwrap_or_else(|| {
                panic!(
                    "FIMO hit {} {} {} {} not found",
                    row.motif, row.sequence, row.start, row.strand
                )
            });
        let what = format!(
            "{} {} {} {}",
            row.motif, row.sequence, row.start, row.strand
        );
        assert_eq!(found.end, row.stop, "{what}");
        assert_eq!(found.matched, row.matched, "{what}");
        // Equal to FIMO's printed precision: %g for the score, %.3g for the p-value.
        assert_eq!(format_g(found.score, 6), row.score, "{what}");
        assert_eq!(format_g(found.p_value, 3), row.p_value, "{what}");
        worst_score = worst_score.max((found.score - row.score.parse::<f64>().unwrap()).abs());
        let p: f64 = row.p_value.parse().unwrap();
        worst_p = worst_p.max((found.p_value - p).abs() / p);
    }
    assert!(
        worst_score < 5e-5 && worst_p < 5e-3,
        "{worst_score} {worst_p}"
    );

    // FIMO's list of IME1 hits is complete at these score levels (see the fixture's README):
    // there must be no hit FIMO did not report.
    let complete = ["15.9143", "14.5857", "9.64286", "8.31429"];
    let expected: BTreeSet<(String, usize, String)> = fimo
        .iter()
        .filter(|r| r.motif == "MA0320.1" && complete.contains(&r.score.as_str()))
        .map(|r| (r.sequence.clone(), r.start, r.strand.clone()))
        .collect();
    let found: BTreeSet<(String, usize, String)> = hits
        .iter()
        .flat_map(|(name, hs)| {
            hs.iter()
                .filter(|h| h.motif == 0 && complete.contains(&format_g(h.score, 6).as_str()))
                .map(move |h| (name.to_string(), h.start, h.strand.to_string()))
        })
        .collect();
    assert!(expected.len() >= 10);
    assert_eq!(found, expected);
}

#[test]
fn site_scores_and_p_values_equal_fimo() {
    let scanner = fixture_scanner();
    let rows = tsv(&read("motifs/fimo_sites.tsv"));
    assert_eq!(
        rows[0],
        ["motif_id", "matched_sequence", "score", "p-value"]
    );
    assert_eq!(rows.len() - 1, 120);
    for r in &rows[1..] {
        let pssm = scanner.pssms().iter().find(|p| p.id() == r[0]).unwrap();
        let s = pssm.scaled_score(r[1].as_bytes()).unwrap();
        assert_eq!(format_g(pssm.score(s), 6), r[2], "{r:?}");
        assert_eq!(format_g(pssm.p_value(s), 3), r[3], "{r:?}");
    }
}

#[test]
fn shipped_motifs_are_the_jaspar_ones() {
    let jaspar = parse_meme(motifs::JASPAR_FUNGI).unwrap();
    assert_eq!(jaspar.motifs.len(), 178);
    let paper = parse_meme(motifs::PAPER_MOTIFS).unwrap();
    let fixture = parse_meme(&read("motifs/jaspar2024_ime1_ume6.meme")).unwrap();
    assert_eq!(paper.motifs, fixture.motifs);
    let all = motifs::shipped().unwrap();
    for m in &paper.motifs {
        assert_eq!(all.find(&m.id).unwrap().probabilities, m.probabilities);
    }
    assert_eq!(
        jaspar.find("MA0320.1").unwrap().probabilities,
        paper.find("IME1").unwrap().probabilities
    );
    assert!(
        all.find("UME6")
            .unwrap_err()
            .to_string()
            .contains("ambiguous")
    );
    assert_eq!(paper.find("MA0320.1").unwrap().consensus(), "CCGCCGAG");
    // Every shipped motif builds (no zero probability survives the pseudocount).
    Scanner::new(&all, ScanOptions::default()).unwrap();
}

/// A small motif, scored by hand: nsites 10, pseudocount 1, uniform background, one strand.
#[test]
fn hand_computed_small_motif() {
    let file = parse_meme(
        "MEME version 4\nMOTIF tiny\nletter-probability matrix: alength= 4 w= 2 nsites= 10\n\
         1 0 0 0\n0 0.5 0.5 0\n",
    )
    .unwrap();
    let options = ScanOptions {
        pseudocount: 1.0,
        background: Background::Uniform,
        both_strands: false,
        ..ScanOptions::default()
    };
    let bg = options.background.frequencies(None, false).unwrap();
    assert!(bg.iter().all(|&b| (b - 0.25).abs() < 1e-15));
    let pssm = Pssm::new(&file.motifs[0], &bg, 1.0).unwrap();
    // p(A at 1) = (10 + 0.25) / 11, log2(p / 0.25) = 1.89812; the rare letters
    // log2((0.25 / 11) / 0.25) = -3.45943; C/G at 2: log2((5.25 / 11) / 0.25) = 0.93289.
    // offset = floor(-3.45943) = -4, scale = floor(1000 / (1.89812 + 4)) = 169.
    assert_eq!((pssm.offset(), pssm.scale()), (-4.0, 169.0));
    assert_eq!(
        pssm.scaled_matrix(),
        [[997, 91, 91, 91], [91, 834, 834, 91]]
    );
    // Four score classes: AC/AG 1831 (1/8), AA/AT 1088 (1/8), [CGT][CG] 925 (3/8),
    // [CGT][AT] 182 (3/8).
    // (site, integer score, P(S >= score), P(S = score))
    let expect = [
        ("AC", 1831, 0.125, 0.125),
        ("AT", 1088, 0.25, 0.125),
        ("GG", 925, 0.625, 0.375),
        ("TA", 182, 1.0, 0.375),
    ];
    for (site, scaled, tail, class) in expect {
        assert_eq!(pssm.scaled_score(site.as_bytes()), Some(scaled), "{site}");
        assert!((pssm.p_value(scaled) - tail).abs() < 1e-12, "{site}");
        // Nothing scores strictly between the classes.
        assert!(
            (pssm.p_value(scaled + 1) - (tail - class)).abs() < 1e-12,
            "{site}"
        );
    }
    assert!((pssm.score(1831) - (1831.0 / 169.0 - 8.0)).abs() < 1e-12);
    assert_eq!(format_g(pssm.score(1831), 6), "2.83432");
    // With threshold 0.125 only the best class is reported.
    let scanner = Scanner::new(
        &file,
        ScanOptions {
            p_threshold: 0.125,
            ..options
        },
    )
    .unwrap();
    let hits = scanner.scan(b"TACGAG");
    let starts: Vec<usize> = hits.iter().map(|h| h.start).collect();
    assert_eq!(starts, [2, 5]); // AC and AG
}

/// The exact p-value table equals enumerating every k-mer, for a motif with unequal
/// background frequencies.
#[test]
fn p_values_equal_brute_force_enumeration() {
    let file = parse_meme(
        "MEME version 4\nMOTIF m\nletter-probability matrix: alength= 4 w= 5 nsites= 7\n\
         0.7 0.1 0.1 0.1\n0.2 0.3 0.4 0.1\n0.05 0.05 0.05 0.85\n0.25 0.25 0.25 0.25\n0.6 0 0.4 0\n",
    )
    .unwrap();
    for both_strands in [false, true] {
        let bg = Background::Given([0.4, 0.1, 0.2, 0.3])
            .frequencies(None, both_strands)
            .unwrap();
        let pssm = Pssm::new(&file.motifs[0], &bg, 0.1).unwrap();
        let w = pssm.width();
        let mut classes: HashMap<usize, f64> = HashMap::new();
        for code in 0..4usize.pow(w as u32) {
            let mut site = Vec::new();
            let mut prob = 1.0;
            for i in 0..w {
                let j = (code >> (2 * i)) & 3;
                site.push(b"ACGT"[j]);
                prob *= bg[j];
            }
            *classes
                .entry(pssm.scaled_score(&site).unwrap())
                .or_default() += prob;
        }
        let max = pssm.max_scaled_score();
        assert!(classes.contains_key(&max));
        for s in 0..=max + 1 {
            let tail: f64 = classes
                .iter()
                .filter(|(k, _)| **k >= s)
                .map(|(_, p)| p)
                .sum();
            assert!(
                (pssm.p_value(s) - tail).abs() < 1e-12,
                "score {s}: table {} vs enumeration {tail}",
                pssm.p_value(s)
            );
        }
        assert!((pssm.p_value(0) - 1.0).abs() < 1e-12);
    }
}

#[test]
fn reverse_strand_coordinates_case_and_n() {
    let file = parse_meme(motifs::PAPER_MOTIFS).unwrap();
    // p <= 1e-5 keeps only exact consensus sites (8.13e-06); weaker IME1-like windows in the
    // flanks of the test sequence would pass 1e-4.
    let strict = ScanOptions {
        p_threshold: 1e-5,
        ..ScanOptions::default()
    };
    let ime1 =
        Scanner::with_motifs(&[file.find("MA0320.1").unwrap().clone()], None, strict).unwrap();
    // CCGCCGAG on + at 3-10, its reverse complement CTCGGCGG at 15-22 (a - hit), and a
    // lower-case copy at 25-32.
    let seq = b"TTCCGCCGAGTTTTCTCGGCGGTTccgccgagTT";
    let hits = ime1.scan(seq);
    let got: Vec<(usize, usize, Strand, &str)> = hits
        .iter()
        .map(|h| (h.start, h.end, h.strand, h.matched.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (3, 10, Strand::Plus, "CCGCCGAG"),
            (15, 22, Strand::Minus, "CCGCCGAG"),
            (25, 32, Strand::Plus, "ccgccgag"),
        ]
    );
    assert_eq!(hits[0].score, hits[1].score);
    assert_eq!(hits[0].p_value, hits[2].p_value);
    // A window containing N is not scored; a sequence shorter than the motif has no windows.
    assert_eq!(ime1.scan(b"TTCCGCNGAGTT").len(), 0);
    assert!(ime1.scan(b"CCGCCGA").is_empty());
    // --norc: the - hit disappears.
    let plus_only = Scanner::with_motifs(
        &[file.find("MA0320.1").unwrap().clone()],
        None,
        ScanOptions {
            both_strands: false,
            ..strict
        },
    )
    .unwrap();
    assert_eq!(plus_only.scan(seq).len(), 2);
}

#[test]
fn motif_file_background_option() {
    // JASPAR files carry a uniform background line; FIMO's default ignores it (NRDB).
    let file = parse_meme(motifs::PAPER_MOTIFS).unwrap();
    assert_eq!(file.background, Some([0.25; 4]));
    let nrdb = Scanner::new(&file, ScanOptions::default()).unwrap();
    let from_file = Scanner::new(
        &file,
        ScanOptions {
            background: Background::MotifFile,
            ..ScanOptions::default()
        },
    )
    .unwrap();
    let site = b"CCGCCGAG";
    let s = nrdb.pssms()[0].scaled_score(site).unwrap();
    assert_eq!(format_g(nrdb.pssms()[0].score(s), 6), "15.9143");
    let u = from_file.pssms()[0].scaled_score(site).unwrap();
    // Uniform background: a smaller log-odds for this GC-rich site, and a larger p-value.
    assert!(from_file.pssms()[0].score(u) < 15.5);
    assert!(from_file.pssms()[0].p_value(u) > nrdb.pssms()[0].p_value(s));
    assert!(Background::MotifFile.frequencies(None, true).unwrap()[0] > 0.2499);
    assert!("0.3,0.2,0.2,0.3".parse::<Background>().is_ok());
    assert!("0.3,0.2".parse::<Background>().is_err());
}

// ---------------------------------------------------------------- command line

fn camformer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_camformer"))
}

/// The tiny Mini-family model: its safetensors and an architecture JSON written to `dir`.
fn tiny_model(dir: &Path) -> (String, String) {
    let arch = dir.join("tiny_mini.arch.json");
    std::fs::write(
        &arch,
        serde_json::to_string(&fixture("tiny_mini").architecture).unwrap(),
    )
    .unwrap();
    let weights = data("parity/tiny_mini.safetensors");
    (weights.display().to_string(), arch.display().to_string())
}

fn run_ok(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

#[test]
fn cli_scan_writes_the_fimo_contract() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("hits.tsv");
    let (_, stderr) = run_ok(
        camformer()
            .args(["motifs", "scan", "--pvalue", "1e-4"])
            .arg("--input")
            .arg(data("motifs/dream_test_random_regions.fa"))
            .arg("--motifs")
            .arg(data("motifs/jaspar2024_ime1_ume6.meme"))
            .arg("--output")
            .arg(&output),
    );
    assert!(
        stderr.contains("39 sequences scanned with 4 motifs"),
        "{stderr}"
    );
    let rows = tsv(&std::fs::read_to_string(&output).unwrap());
    assert_eq!(
        rows[0],
        [
            "name", "motif_id", "start", "end", "strand", "score", "p_value", "matched"
        ]
    );
    let got: BTreeSet<Vec<String>> = rows[1..].iter().cloned().collect();
    for f in fimo_rows() {
        let row = vec![
            f.sequence.clone(),
            f.motif.clone(),
            f.start.to_string(),
            f.stop.to_string(),
            f.strand.clone(),
            f.score.clone(),
            f.p_value.clone(),
            f.matched.clone(),
        ];
        assert!(got.contains(&row), "missing FIMO row {row:?}");
    }
    for r in &rows[1..] {
        assert!(r[6].parse::<f64>().unwrap() <= 1e-4);
    }
}

#[test]
fn cli_scan_reports_bad_records_and_uses_shipped_motifs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.fa");
    std::fs::write(
        &input,
        ">good\nTTCCGCCGAGTT\n>bad\nACGTXACGT\n>short\nACG\n>lower\nttctcggcggtt\n",
    )
    .unwrap();
    let (stdout, stderr) = run_ok(
        camformer()
            .args([
                "motifs", "scan", "--motif", "MA0320.1", "--pvalue", "1e-5", "--input",
            ])
            .arg(&input),
    );
    assert!(
        stderr.contains("record 2 'bad' (line 3): invalid base 'X' at position 5"),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 sequences scanned with 1 motifs"),
        "{stderr}"
    );
    let rows = tsv(&stdout);
    assert_eq!(rows.len(), 3, "{stdout}");
    assert_eq!(
        rows[1],
        [
            "good", "MA0320.1", "3", "10", "+", "15.9143", "8.13e-06", "CCGCCGAG"
        ]
    );
    assert_eq!(
        rows[2],
        [
            "lower", "MA0320.1", "3", "10", "-", "15.9143", "8.13e-06", "ccgccgag"
        ]
    );

    // Without --motif: the shipped JASPAR fungi set (IME1 is among its 178 motifs).
    let (stdout, stderr) = run_ok(camformer().args(["motifs", "scan", "--input"]).arg(&input));
    assert!(stderr.contains("with 178 motifs"), "{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("good\tMA0320.1\t3\t10\t+"))
    );

    // A malformed motif file names its line.
    let bad = dir.path().join("bad.meme");
    std::fs::write(
        &bad,
        "MEME version 4\nMOTIF x\nletter-probability matrix: w= 1\n0.5 0.5\n",
    )
    .unwrap();
    let out = camformer()
        .args(["motifs", "scan", "--input"])
        .arg(&input)
        .arg("--motifs")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("line 4") && stderr.contains("4 values"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------- what-if

fn tiny_predictor() -> Predictor {
    let f = fixture("tiny_mini");
    let bytes = f.state_dict().to_safetensors(Default::default()).unwrap();
    Predictor::from_weights(f.architecture, &bytes, burn::tensor::Device::flex()).unwrap()
}

fn ime1() -> Motif {
    parse_meme(motifs::PAPER_MOTIFS)
        .unwrap()
        .find("MA0320.1")
        .unwrap()
        .clone()
}

fn ume6() -> Motif {
    parse_meme(motifs::PAPER_MOTIFS)
        .unwrap()
        .find("MA0412.3")
        .unwrap()
        .clone()
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn insert_and_ablate_predict_the_edited_constructs() {
    let p = tiny_predictor();
    let c = motif_effects::random_backgrounds(1, 11)[0];
    let site = Site::consensus(&ime1());
    let edits = vec![
        Edit::insert(&site, Strand::Plus, 1).unwrap(),
        Edit::insert(&site, Strand::Minus, 73).unwrap(),
        Edit::shuffle(&c, 30, 8, 5).unwrap(),
        Edit::replace(30, "NNNNNNNN").unwrap(),
    ];
    let edited: Vec<Construct> = edits.iter().map(|e| e.apply(&c)).collect();
    assert_eq!(
        &edited[0].as_str()[RANDOM_START..RANDOM_START + 8],
        "CCGCCGAG"
    );
    assert_eq!(
        &edited[1].as_str()[RANDOM_START + 72..RANDOM_START + 80],
        "CTCGGCGG"
    );
    let result = motif_effects::what_if(&p, &c, edits).unwrap();
    let direct = p.predict(&[&[c][..], &edited].concat()).unwrap();
    assert!(close(result.reference, direct[0]));
    for (effect, &d) in result.effects.iter().zip(&direct[1..]) {
        assert!(close(effect.prediction, d), "{} vs {d}", effect.prediction);
        assert!((effect.delta - (effect.prediction - result.reference)).abs() < 1e-6);
    }
    // The edits change the prediction (the test would not catch a no-op otherwise).
    assert!(result.effects.iter().any(|e| e.delta.abs() > 1e-4));
    let e = Edit::insert(&site, Strand::Plus, 74)
        .unwrap_err()
        .to_string();
    assert!(e.contains("must start at 1-73"), "{e}");
}

#[test]
fn tiling_covers_every_position_on_both_strands() {
    let p = tiny_predictor();
    let c = motif_effects::random_backgrounds(1, 12)[0];
    let site = Site::consensus(&ume6());
    let strands = [Strand::Plus, Strand::Minus];
    let tiling = motif_effects::tile(&p, &c, &site, &strands).unwrap();
    let last = RANDOM_LEN - site.len() + 1;
    assert_eq!(tiling.points.len(), 2 * last);
    let edits = motif_effects::tile_edits(&site, &strands).unwrap();
    let direct = p
        .predict(&edits.iter().map(|e| e.apply(&c)).collect::<Vec<_>>())
        .unwrap();
    for (k, (point, &d)) in tiling.points.iter().zip(&direct).enumerate() {
        assert_eq!(point.position, k % last + 1);
        assert_eq!(point.strand, strands[k / last]);
        assert!(close(point.prediction, d));
    }
    assert!(close(tiling.reference, p.predict(&[c]).unwrap()[0]));
}

#[test]
fn pair_interaction_comes_from_the_four_means() {
    let p = tiny_predictor();
    let backgrounds = motif_effects::random_backgrounds(12, 3);
    let (a_site, b_site) = (Site::consensus(&ime1()), Site::consensus(&ume6()));
    let a = Edit::insert(
        &a_site,
        Strand::Plus,
        Slot::A.position(a_site.len()).unwrap(),
    )
    .unwrap();
    let b = Edit::insert(
        &b_site,
        Strand::Minus,
        Slot::B.position(b_site.len()).unwrap(),
    )
    .unwrap();
    let r = motif_effects::pair(&p, &backgrounds, a.clone(), b.clone()).unwrap();

    let mean = |cs: Vec<Construct>| -> f64 {
        let v = p.predict(&cs).unwrap();
        v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64
    };
    let none = mean(backgrounds.clone());
    let with_a = mean(backgrounds.iter().map(|c| a.apply(c)).collect());
    let with_b = mean(backgrounds.iter().map(|c| b.apply(c)).collect());
    let with_ab = mean(backgrounds.iter().map(|c| b.apply(&a.apply(c))).collect());
    for (got, want) in [
        (r.none.mean, none),
        (r.with_a.mean, with_a),
        (r.with_b.mean, with_b),
        (r.with_ab.mean, with_ab),
    ] {
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }
    assert_eq!(r.none.n, 12);
    assert!(r.none.se > 0.0 && r.none.se.is_finite());
    let combination = r.with_ab.mean - r.with_a.mean - r.with_b.mean + r.none.mean;
    assert!((r.interaction.mean - combination).abs() < 1e-9);
    assert!((r.interaction.mean - (with_ab - with_a - with_b + none)).abs() < 2e-5);

    // Same seed, same answer; overlapping sites are refused.
    let again = motif_effects::pair(&p, &backgrounds, a.clone(), b).unwrap();
    assert_eq!(r, again);
    let overlapping = Edit::insert(&b_site, Strand::Plus, a.position + 2).unwrap();
    let e = motif_effects::pair_batch(&backgrounds, &a, &overlapping)
        .unwrap_err()
        .to_string();
    assert!(e.contains("overlap"), "{e}");
}

#[test]
fn pair_matrix_entries_equal_single_pairs() {
    let p = tiny_predictor();
    let backgrounds = motif_effects::random_backgrounds(5, 9);
    let sites = [Site::consensus(&ime1()), Site::consensus(&ume6())];
    let m = motif_effects::pair_matrix(&p, &backgrounds, &sites, Strand::Plus).unwrap();
    assert_eq!(m.pairs.len(), 2);
    for i in 0..2 {
        for j in 0..2 {
            let a = Edit::insert(
                &sites[i],
                Strand::Plus,
                Slot::A.position(sites[i].len()).unwrap(),
            )
            .unwrap();
            let b = Edit::insert(
                &sites[j],
                Strand::Plus,
                Slot::B.position(sites[j].len()).unwrap(),
            )
            .unwrap();
            let single = motif_effects::pair(&p, &backgrounds, a, b).unwrap();
            let cell = &m.pairs[i][j];
            assert_eq!((&cell.a, &cell.b), (&single.a, &single.b));
            for (x, y) in [
                (cell.none.mean, single.none.mean),
                (cell.with_a.mean, single.with_a.mean),
                (cell.with_b.mean, single.with_b.mean),
                (cell.with_ab.mean, single.with_ab.mean),
                (cell.interaction.mean, single.interaction.mean),
            ] {
                assert!((x - y).abs() < 1e-5, "({i},{j}) {x} vs {y}");
            }
        }
    }
}

#[test]
fn cli_what_if_commands() {
    let dir = tempfile::tempdir().unwrap();
    let (weights, arch) = tiny_model(dir.path());
    let model = ["--weights", weights.as_str(), "--arch", arch.as_str()];
    let input = data("motifs/dream_test_random_regions.fa");
    let p = tiny_predictor();
    let sequences = fixture_sequences();
    let first = camformer::input::sequence::prepare(&sequences[0].1)
        .unwrap()
        .0;

    // insert: one row per sequence, predictions equal the library's. The position is given as
    // a random-region position (r5) and as the same construct position (22).
    let insert_at = |position: &str| {
        camformer()
            .args(["motifs", "insert", "--motif", "IME1", "--position"])
            .arg(position)
            .args(["--strand", "-"])
            .args(model)
            .arg("--input")
            .arg(&input)
            .output()
            .unwrap()
    };
    let out = insert_at("r5");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(insert_at("22").stdout, stdout.as_bytes());
    let flank = String::from_utf8(insert_at("5").stderr).unwrap();
    assert!(
        flank.contains("5 (5' flank) is in a constant flank"),
        "{flank}"
    );
    let rows = tsv(&stdout);
    assert_eq!(
        rows[0],
        [
            "name",
            "motif_id",
            "site",
            "strand",
            "position",
            "reference",
            "prediction",
            "delta"
        ]
    );
    assert_eq!(rows.len() - 1, sequences.len());
    assert_eq!(
        rows[1][..5],
        ["sequence_1771", "MA0320.1", "CCGCCGAG", "-", "5"]
    );
    let edit = Edit::insert(&Site::consensus(&ime1()), Strand::Minus, 5).unwrap();
    let want = p.predict(&[first, edit.apply(&first)]).unwrap();
    assert!((rows[1][5].parse::<f32>().unwrap() - want[0]).abs() < 1e-5);
    assert!((rows[1][6].parse::<f32>().unwrap() - want[1]).abs() < 1e-5);
    let e = camformer()
        .args(["motifs", "insert", "--motif", "IME1", "--position", "r80"])
        .args(model)
        .arg("--input")
        .arg(&input)
        .output()
        .unwrap();
    assert!(!e.status.success());
    assert!(
        String::from_utf8(e.stderr)
            .unwrap()
            .contains("must start at 1-73")
    );

    // tile: both strands, every position.
    let (stdout, _) = run_ok(
        camformer()
            .args(["motifs", "tile", "--site", "ACGTACGTAC"])
            .args(model)
            .arg("--input")
            .arg(&input),
    );
    assert_eq!(tsv(&stdout).len() - 1, sequences.len() * 2 * 71);

    // ablate: one row per IME1 hit, with the shuffled bases.
    let (stdout, _) = run_ok(
        camformer()
            .args(["motifs", "ablate", "--motif", "MA0320.1", "--seed", "3"])
            .args(model)
            .arg("--input")
            .arg(&input),
    );
    let rows = tsv(&stdout);
    let ime1_hits = fimo_rows().iter().filter(|r| r.motif == "MA0320.1").count();
    let ablated = rows.len() - 1;
    assert!(ablated >= ime1_hits, "{stdout}");
    for r in &rows[1..] {
        assert_eq!(r[7], "shuffle");
        let mut a: Vec<u8> = r[8].bytes().collect();
        let seq = &sequences.iter().find(|s| s.0 == r[0]).unwrap().1;
        let start: usize = r[2].parse().unwrap();
        let mut b: Vec<u8> = seq.as_bytes()[start - 1..start + 7].to_vec();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b, "shuffle keeps the composition: {r:?}");
    }

    // pair: five rows, interaction from the four means.
    let (stdout, _) = run_ok(
        camformer()
            .args([
                "motifs",
                "pair",
                "--motif-a",
                "IME1",
                "--motif-b",
                "MA0412.3",
            ])
            .args(["--backgrounds", "8", "--seed", "4"])
            .args(model),
    );
    let rows = tsv(&stdout);
    assert_eq!(rows[0], ["condition", "sites", "mean", "se", "n"]);
    let conditions: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(conditions, ["none", "A", "B", "AB", "interaction"]);
    let m: Vec<f64> = rows[1..].iter().map(|r| r[2].parse().unwrap()).collect();
    assert!((m[4] - (m[3] - m[1] - m[2] + m[0])).abs() < 5e-6, "{m:?}");
    assert!(rows[1..].iter().all(|r| r[4] == "8"));

    // matrix: k x k rows.
    let (stdout, _) = run_ok(
        camformer()
            .args([
                "motifs",
                "matrix",
                "--motif",
                "MA0320.1,MA0412.3",
                "--backgrounds",
                "4",
            ])
            .args(model),
    );
    assert_eq!(tsv(&stdout).len() - 1, 4);
}
