//! Motifs (the motifs panel): what-if edits of motif sites (`motifInsert`, `motifAblate`,
//! `motifTile`, `motifPair`, `motifMatrix`), the motif list (`motifList`) and FIMO-style
//! scanning (`scanMotifs`).

use wasm_bindgen::prelude::*;

use super::{Model, constructs, js_err, to_js};
use crate::analysis::motif_effects::{self, Edit, Site, Slot};
use crate::analysis::motifs::{self, MotifFile, ScanOptions, Scanner, Strand, parse_meme};
use crate::input::sequence::Construct;

#[wasm_bindgen(js_class = CamformerModel)]
impl Model {
    /// Inserts a motif site into `sequence` and predicts the change: `motif` is an id or name
    /// from `motifs` (MEME text; the shipped JASPAR fungi set when empty), `site` an explicit
    /// site (else the consensus), `strand` `"+"`/`"-"`, `position` 1-based in the 80-bp random
    /// region. Returns `{reference, effects: [{edit, prediction, delta}]}`.
    #[wasm_bindgen(js_name = motifInsert)]
    pub async fn motif_insert(
        &self,
        sequence: String,
        motif: String,
        site: Option<String>,
        strand: String,
        position: usize,
        motifs: Option<String>,
    ) -> Result<JsValue, JsError> {
        let construct = constructs(std::slice::from_ref(&sequence))?[0];
        let site = motif_site(&motif, site.as_deref(), motifs.as_deref())?;
        let strand: Strand = strand.parse().map_err(js_err)?;
        let edit = Edit::insert(&site, strand, position).map_err(js_err)?;
        to_js(
            &motif_effects::what_if_async(&self.predictor, &construct, vec![edit])
                .await
                .map_err(js_err)?,
        )
    }

    /// Ablates the `length` bases at 1-based random-region `position`: replaced by
    /// `replacement` when given, else shuffled (composition kept, seeded).
    #[wasm_bindgen(js_name = motifAblate)]
    pub async fn motif_ablate(
        &self,
        sequence: String,
        position: usize,
        length: usize,
        replacement: Option<String>,
        seed: u64,
    ) -> Result<JsValue, JsError> {
        let construct = constructs(std::slice::from_ref(&sequence))?[0];
        let edit = match replacement.filter(|r| !r.trim().is_empty()) {
            Some(r) => Edit::replace(position, r.trim()),
            None => Edit::shuffle(&construct, position, length, seed),
        }
        .map_err(js_err)?;
        to_js(
            &motif_effects::what_if_async(&self.predictor, &construct, vec![edit])
                .await
                .map_err(js_err)?,
        )
    }

    /// Tiles a motif (consensus, or `site`) across every position of the random region on both
    /// strands: `{site, reference, points: [{position, strand, prediction, delta}]}`.
    #[wasm_bindgen(js_name = motifTile)]
    pub async fn motif_tile(
        &self,
        sequence: String,
        motif: String,
        site: Option<String>,
        motifs: Option<String>,
    ) -> Result<JsValue, JsError> {
        let construct = constructs(std::slice::from_ref(&sequence))?[0];
        let site = motif_site(&motif, site.as_deref(), motifs.as_deref())?;
        to_js(
            &motif_effects::tile_async(
                &self.predictor,
                &construct,
                &site,
                &[Strand::Plus, Strand::Minus],
            )
            .await
            .map_err(js_err)?,
        )
    }

    /// Motif pair interaction (the paper's IME1/UME6 analysis): consensus sites of motifs `a`
    /// and `b` inserted alone and together (A centred in positions 1-40, B in 41-80, `+`
    /// strand) into `backgrounds` (the given sequences, or when empty `n` seeded random 80-bp
    /// regions): `{a, b, none, withA, withB, withAb, interaction}`, each `{mean, se, n}`.
    #[wasm_bindgen(js_name = motifPair)]
    pub async fn motif_pair(
        &self,
        a: String,
        b: String,
        backgrounds: Vec<String>,
        n: usize,
        seed: u64,
        motifs: Option<String>,
    ) -> Result<JsValue, JsError> {
        let backgrounds = pair_backgrounds(&backgrounds, n, seed)?;
        let (sa, sb) = (
            motif_site(&a, None, motifs.as_deref())?,
            motif_site(&b, None, motifs.as_deref())?,
        );
        let ea = Edit::insert(
            &sa,
            Strand::Plus,
            Slot::A.position(sa.len()).map_err(js_err)?,
        )
        .map_err(js_err)?;
        let eb = Edit::insert(
            &sb,
            Strand::Plus,
            Slot::B.position(sb.len()).map_err(js_err)?,
        )
        .map_err(js_err)?;
        let result = motif_effects::pair_async(&self.predictor, &backgrounds, ea, eb)
            .await
            .map_err(js_err)?;
        to_js(&result)
    }

    /// The pair interaction for every ordered pair of `motifIds` (a heatmap):
    /// `{sites, pairs: [[PairResult]]}`.
    #[wasm_bindgen(js_name = motifMatrix)]
    pub async fn motif_matrix(
        &self,
        motif_ids: Vec<String>,
        backgrounds: Vec<String>,
        n: usize,
        seed: u64,
        motifs: Option<String>,
    ) -> Result<JsValue, JsError> {
        let backgrounds = pair_backgrounds(&backgrounds, n, seed)?;
        let sites = motif_ids
            .iter()
            .map(|id| motif_site(id, None, motifs.as_deref()))
            .collect::<Result<Vec<_>, _>>()?;
        to_js(
            &motif_effects::pair_matrix_async(&self.predictor, &backgrounds, &sites, Strand::Plus)
                .await
                .map_err(js_err)?,
        )
    }
}

/// The motif file to use: the user's MEME text, or the shipped set.
fn motif_file(motifs: Option<&str>) -> Result<MotifFile, JsError> {
    match motifs.filter(|m| !m.trim().is_empty()) {
        Some(text) => parse_meme(text),
        None => motifs::shipped(),
    }
    .map_err(js_err)
}

/// A site to insert: `site` as given, or the consensus of `motif` (an id or name).
fn motif_site(motif: &str, site: Option<&str>, motifs: Option<&str>) -> Result<Site, JsError> {
    match site.filter(|s| !s.trim().is_empty()) {
        Some(s) => Site::given(motif, s.trim()).map_err(js_err),
        None => Ok(Site::consensus(
            motif_file(motifs)?.find(motif).map_err(js_err)?,
        )),
    }
}

/// Most random backgrounds one `motifPair`/`motifMatrix` call draws (the app's worker pool
/// splits a run into about four calls per worker).
const MAX_RANDOM_BACKGROUNDS: usize = 100_000;

/// User backgrounds (any accepted sequence form), or `n` seeded random 80-bp regions.
fn pair_backgrounds(given: &[String], n: usize, seed: u64) -> Result<Vec<Construct>, JsError> {
    if given.is_empty() {
        if n == 0 {
            return Err(JsError::new(
                "give backgrounds or a number of random ones (> 0)",
            ));
        }
        // A bound, so that a mistyped count is an error rather than an allocation that
        // aborts the module (found by src/web/fuzz_tests.rs: n = usize::MAX).
        if n > MAX_RANDOM_BACKGROUNDS {
            return Err(JsError::new(&format!(
                "{n} random backgrounds requested; at most {MAX_RANDOM_BACKGROUNDS} in one call"
            )));
        }
        Ok(motif_effects::random_backgrounds(n, seed))
    } else {
        constructs(given)
    }
}

/// The motifs of a MEME file (the shipped JASPAR fungi + paper motifs when `motifs` is empty):
/// `[{index, id, altId, width, consensus}]`.
#[wasm_bindgen(js_name = motifList)]
pub fn motif_list(motifs: Option<String>) -> Result<JsValue, JsError> {
    let file = motif_file(motifs.as_deref())?;
    to_js(
        &file
            .motifs
            .iter()
            .enumerate()
            .map(|(i, m)| {
                serde_json::json!({
                    "index": i, "id": m.id, "altId": m.alt_id, "width": m.width(),
                    "consensus": m.consensus(),
                })
            })
            .collect::<Vec<_>>(),
    )
}

/// Scans `sequence` as given (both strands) as MEME Suite's FIMO does: log-odds scores and
/// exact p-values, reporting sites with p <= `pValue` (default 1e-4). `motifs` is MEME text
/// (the shipped set when empty); `background` `"nrdb"` (FIMO's default), `"motif"`,
/// `"uniform"` or `"A,C,G,T"` frequencies. Returns `[{motif, motifId, altId, start, end,
/// strand, score, pValue, matched}]` with 1-based inclusive `start`/`end` on the sequence.
#[wasm_bindgen(js_name = scanMotifs)]
pub fn scan_motifs(
    sequence: String,
    motifs: Option<String>,
    p_value: Option<f64>,
    background: Option<String>,
) -> Result<JsValue, JsError> {
    let file = motif_file(motifs.as_deref())?;
    let mut options = ScanOptions::default();
    if let Some(p) = p_value {
        options.p_threshold = p;
    }
    if let Some(b) = background.filter(|b| !b.trim().is_empty()) {
        options.background = b.parse().map_err(js_err)?;
    }
    let scanner = Scanner::new(&file, options).map_err(js_err)?;
    let seq = sequence.trim().to_string();
    if let Some((i, c)) = seq
        .chars()
        .enumerate()
        .find(|(_, c)| !"ACGTNacgtn".contains(*c))
    {
        return Err(JsError::new(&format!(
            "invalid base {c:?} at position {} (allowed: A, C, G, T, N)",
            i + 1
        )));
    }
    let hits: Vec<_> = scanner
        .scan(seq.as_bytes())
        .into_iter()
        .map(|h| {
            let m = &file.motifs[h.motif];
            serde_json::json!({
                "motif": h.motif, "motifId": m.id, "altId": m.alt_id,
                "start": h.start, "end": h.end, "strand": h.strand.symbol().to_string(),
                "score": h.score, "pValue": h.p_value, "matched": h.matched,
            })
        })
        .collect();
    to_js(&hits)
}
