//! Malformed input to every JavaScript entry point, in a JavaScript engine: each call must
//! return an error (a `JsError` with a message), never panic (a panic aborts the module and
//! fails the test).
//!
//! The parsing behind these entry points is the library's (records, MEME, safetensors,
//! manifests, variants, DREAM files), which the native property tests in `tests/suite/fuzz/`
//! cover with many thousands of cases; this checks, with a few hundred seeded cases, that the
//! wrappers pass every failure on as an error.

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use super::Model;
use super::dream::dream_score;
use super::motifs::{motif_list, scan_motifs};
use super::records::parse_records;
use crate::analysis::motif_effects::SplitMix64;

/// Cases per entry point.
const CASES: usize = 24;

/// Pieces that malformed input is made of.
const PIECES: &[&str] = &[
    "", "A", "C", "G", "T", "acgt", "N", "NNNN", "X", "U", "-", " ", "\t", "\n", "\r\n", ">", "#",
    "0", "1", "12", "-1", "1e999", "NaN", "é", "\u{feff}", "\u{0}", "MOTIF", "=", ",", ";",
];

struct Junk(SplitMix64);

impl Junk {
    fn new(seed: u64) -> Self {
        Junk(SplitMix64::new(seed))
    }

    fn below(&mut self, n: usize) -> usize {
        self.0.below(n as u64) as usize
    }

    /// Random text from [`PIECES`] and random characters, up to `max` pieces.
    fn text(&mut self, max: usize) -> String {
        let n = self.below(max + 1);
        (0..n)
            .map(|_| {
                if self.below(8) == 0 {
                    char::from_u32(self.below(0x11_0000) as u32)
                        .unwrap_or('?')
                        .to_string()
                } else {
                    PIECES[self.below(PIECES.len())].to_string()
                }
            })
            .collect()
    }

    /// A sequence the model cannot take: a wrong length, a bad character or too many `N`.
    fn bad_sequence(&mut self) -> String {
        let len = [0, 1, 79, 81, 106, 114, 200][self.below(7)];
        let mut s: Vec<char> = (0..len)
            .map(|_| ['A', 'C', 'G', 'T'][self.below(4)])
            .collect();
        match self.below(3) {
            0 => {} // Wrong length.
            1 => {
                let at = self.below(s.len() + 1);
                let bad = ['X', '>', '-', ' ', 'é', '\u{0}', '1'][self.below(7)];
                s.insert(at, bad);
                s.resize(80, 'A');
                if !s.contains(&bad) {
                    s[79] = bad;
                }
            }
            _ => {
                s.resize(110, 'A');
                for k in 0..4 + self.below(4) {
                    s[k * 13] = 'N';
                }
            }
        }
        s.into_iter().collect()
    }

    fn huge(&mut self) -> usize {
        [0, 81, 1 << 20, usize::MAX, usize::MAX / 110 + 1][self.below(5)]
    }
}

/// A valid 80-bp random region.
fn good_sequence(junk: &mut Junk) -> String {
    (0..80)
        .map(|_| ['A', 'C', 'G', 'T'][junk.below(4)])
        .collect()
}

/// Text that is not a MEME motif file (never blank: blank means the shipped motifs).
fn bad_meme(junk: &mut Junk) -> String {
    match junk.below(3) {
        0 => format!("x{}", junk.text(20)),
        1 => format!("MOTIF M1\n{}", junk.text(10)),
        _ => format!(
            "MEME version 4\nMOTIF M1\nletter-probability matrix: w= 2\n{}",
            junk.text(3)
        ),
    }
}

#[wasm_bindgen_test]
fn parse_records_takes_any_text() {
    let mut junk = Junk::new(1);
    for _ in 0..10 * CASES {
        let text = junk.text(60);
        assert!(parse_records(&text).is_ok(), "{text:?}");
    }
}

#[wasm_bindgen_test]
fn free_functions_reject_malformed_input() {
    let mut junk = Junk::new(2);
    for _ in 0..CASES {
        assert!(motif_list(Some(bad_meme(&mut junk))).is_err());
        let seq = good_sequence(&mut junk);
        // Scanning takes any length; a character other than ACGTN is the error.
        let with_x = format!("{seq}{}X", junk.text(3));
        assert!(scan_motifs(with_x, None, None, None).is_err());
        assert!(scan_motifs(seq.clone(), Some(bad_meme(&mut junk)), None, None).is_err());
        let p = [f64::NAN, 0.0, -1.0, 1.5, f64::INFINITY][junk.below(5)];
        assert!(scan_motifs(seq.clone(), None, Some(p), None).is_err());
        let bg = format!("x{}", junk.text(6));
        assert!(scan_motifs(seq, None, None, Some(bg)).is_err());
        // An empty measured file, or a pair rule that does not exist.
        let predictions = junk.text(20);
        assert!(dream_score(&predictions, "", JsValue::UNDEFINED, None).is_err());
        let rule = Some(format!("rule{}", junk.text(3)));
        assert!(dream_score(&predictions, &junk.text(20), JsValue::NULL, rule).is_err());
        assert!(dream_score(&predictions, "idx\texpr\n0\t1.5\n", JsValue::from(3), None).is_err());
    }
}

#[wasm_bindgen_test]
async fn loading_rejects_malformed_weights_manifests_and_backends() {
    let mut junk = Junk::new(3);
    let weights = crate::model::default_model::WEIGHTS;
    for _ in 0..CASES {
        let bytes: Vec<u8> = (0..junk.below(300))
            .map(|_| junk.below(256) as u8)
            .collect();
        let manifest = junk.text(20);
        let arch = [
            None,
            Some("mini".to_string()),
            Some(format!("{{{}", junk.text(10))),
        ][junk.below(3)]
        .clone();
        assert!(Model::load(bytes, None, arch, "cpu".into()).await.is_err());
        let manifest = Some(format!("{{{manifest}"));
        assert!(
            Model::load(weights.to_vec(), manifest, None, "cpu".into())
                .await
                .is_err()
        );
        let arch = Some(format!("x{}", junk.text(5)));
        assert!(
            Model::load(weights.to_vec(), None, arch, "cpu".into())
                .await
                .is_err()
        );
        let backend = format!("gpu{}", junk.text(3));
        assert!(Model::load_default(backend).await.is_err());
    }
}

#[wasm_bindgen_test]
async fn model_methods_reject_malformed_input() {
    let model = Model::load_default("cpu".into()).await.unwrap();
    let mut junk = Junk::new(4);
    for _ in 0..CASES {
        let bad = junk.bad_sequence();
        let good = good_sequence(&mut junk);
        assert!(
            model
                .predict(vec![good.clone(), bad.clone()])
                .await
                .is_err()
        );
        assert!(
            model
                .ism(bad.clone(), false, None, None, None)
                .await
                .is_err()
        );
        let method = Some(format!("m{}", junk.text(3)));
        assert!(
            model
                .ism(good.clone(), true, method, None, None)
                .await
                .is_err()
        );
        assert!(model.variants(bad.clone(), "1 A G".into()).await.is_err());
        // A bad variants line is reported (and the others run), never a failure of the call.
        let line = [
            "0 A G", "111 A C", "r81 A C", "x A G", "1 A", "1 A X", "A>G",
        ][junk.below(7)];
        let variants = format!("{}\n{line}", junk.text(0));
        let reply: serde_json::Value =
            serde_wasm_bindgen::from_value(model.variants(good.clone(), variants).await.unwrap())
                .unwrap();
        let rejected = reply["rejected"].as_array().unwrap();
        assert!(
            rejected.iter().any(|r| r["line"] == 2),
            "line 2 ('{line}') rejected: {reply}"
        );
        assert!(model.robustness(bad.clone(), 0.1, false).await.is_err());
        assert!(
            model
                .design_start(bad.clone(), "max".into(), 2, 1, vec![])
                .await
                .is_err()
        );
        let goal = format!("sideways{}", junk.text(3));
        assert!(
            model
                .design_start(good.clone(), goal, 2, 1, vec![])
                .await
                .is_err()
        );
        let frozen = vec![[0u32, 81, u32::MAX][junk.below(3)]];
        assert!(
            model
                .design_start(good.clone(), "max".into(), 2, 1, frozen)
                .await
                .is_err()
        );
        assert!(model.design_step().await.is_err(), "no search was started");
        assert!(
            model
                .attribute(bad.clone(), "gradcam".into(), None)
                .await
                .is_err()
        );
        let method = format!("cam{}", junk.text(3));
        assert!(model.attribute(good.clone(), method, None).await.is_err());
        let layer = Some([6, 99, usize::MAX][junk.below(3)]);
        assert!(
            model
                .attribute(good.clone(), "gradcam".into(), layer)
                .await
                .is_err()
        );
        // Motif edits: bad sequences, unknown motifs, bad sites, strands and positions.
        assert!(
            model
                .motif_insert(bad.clone(), "IME1".into(), None, "+".into(), 1, None)
                .await
                .is_err()
        );
        let motif = format!("no-such-motif{}", junk.text(3));
        assert!(
            model
                .motif_insert(good.clone(), motif, None, "+".into(), 1, None)
                .await
                .is_err()
        );
        let site = Some(format!("ACX{}", junk.text(3)));
        assert!(
            model
                .motif_insert(good.clone(), "s".into(), site, "+".into(), 1, None)
                .await
                .is_err()
        );
        let strand = format!("*{}", junk.text(2));
        assert!(
            model
                .motif_insert(good.clone(), "IME1".into(), None, strand, 1, None)
                .await
                .is_err()
        );
        let position = junk.huge();
        assert!(
            model
                .motif_insert(
                    good.clone(),
                    "IME1".into(),
                    None,
                    "-".into(),
                    position,
                    None
                )
                .await
                .is_err()
        );
        let motifs = Some(bad_meme(&mut junk));
        assert!(
            model
                .motif_insert(good.clone(), "IME1".into(), None, "+".into(), 1, motifs)
                .await
                .is_err()
        );
        let (position, length) = (junk.huge(), junk.huge());
        assert!(
            model
                .motif_ablate(good.clone(), position, length, None, 7)
                .await
                .is_err()
        );
        let replacement = Some(format!("AX{}", junk.text(4)));
        assert!(
            model
                .motif_ablate(good.clone(), 1, 2, replacement, 7)
                .await
                .is_err()
        );
        assert!(
            model
                .motif_tile(bad.clone(), "IME1".into(), None, None)
                .await
                .is_err()
        );
        let motif = format!("no-such-motif{}", junk.text(3));
        assert!(
            model
                .motif_tile(good.clone(), motif, None, None)
                .await
                .is_err()
        );
        let a = format!("no-such-motif{}", junk.text(3));
        assert!(
            model
                .motif_pair(a, "UME6".into(), vec![], 3, 1, None)
                .await
                .is_err()
        );
        assert!(
            model
                .motif_pair("IME1".into(), "UME6".into(), vec![bad.clone()], 3, 1, None)
                .await
                .is_err()
        );
        let n = [0, usize::MAX, usize::MAX / 110 + 1][junk.below(3)];
        assert!(
            model
                .motif_pair("IME1".into(), "UME6".into(), vec![], n, 1, None)
                .await
                .is_err()
        );
        let ids = vec!["IME1".to_string(), format!("no-such-motif{}", junk.text(3))];
        assert!(model.motif_matrix(ids, vec![], 2, 1, None).await.is_err());
        let n = [0, usize::MAX][junk.below(2)];
        assert!(
            model
                .motif_matrix(vec!["IME1".into()], vec![], n, 1, None)
                .await
                .is_err()
        );
    }
}

/// Found by `model_methods_reject_malformed_input`: `motifPair`/`motifMatrix` with no
/// backgrounds and a count of `usize::MAX` drew that many random backgrounds, and the
/// allocation overflowed ("capacity overflow"), aborting the module.
#[wasm_bindgen_test]
async fn regression_huge_background_count_is_an_error() {
    let model = Model::load_default("cpu".into()).await.unwrap();
    for n in [usize::MAX, 100_001] {
        let e = model
            .motif_pair("IME1".into(), "UME6".into(), vec![], n, 1, None)
            .await
            .err()
            .map(|e| js_sys::Error::from(JsValue::from(e)).message())
            .unwrap();
        assert!(
            String::from(e).contains("at most 100000 in one call"),
            "{n}"
        );
    }
}
