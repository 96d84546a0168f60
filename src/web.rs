//! The JavaScript API (wasm-bindgen): the only module that knows about JavaScript.
//!
//! Everything here is a thin wrapper over the library: the same sequence rules and error
//! messages as the CLI, the same model code. Errors are `JsError`s whose messages name the
//! record (or the 1-based index in the given list) and the 1-based position.
//!
//! Call these from one Web Worker that runs one job at a time (`www/worker.js`): the methods
//! take `&self`, so overlapping calls would not corrupt anything, but a long CPU job blocks the
//! thread it runs on.

use std::cell::RefCell;

use js_sys::Float32Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::attribution::{Attributor, Method as AttributionMethod};
use crate::config::ArchConfig;
use crate::default_model;
use crate::design::{Design, DesignConfig, Goal};
use crate::error::Error;
use crate::ism::{self, Method, Positions};
use crate::manifest::Manifest;
use crate::motif_effects::{self, Edit, Site, Slot};
use crate::motifs::{MotifFile, ScanOptions, Scanner, Strand, parse_meme};
use crate::predictor::{Backend, Predictor};
use crate::records::parse_all;
use crate::sequence::{Construct, RANDOM_LEN, RANDOM_START, prepare};
use crate::variants::Robustness;
use crate::weights::StateDict;

fn js_err(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("cannot convert result for JavaScript: {e}")))
}

unsafe extern "C" {
    /// The static constructors of the module (`inventory`/`linkme` registrations pulled in by
    /// Burn's GPU compiler stack), synthesised by `wasm-ld`.
    fn __wasm_call_ctors();
}

/// Runs once when the module is instantiated: the static constructors, then a panic hook that
/// reports Rust panics on the console with their message.
///
/// Why call the constructors by hand: when nothing in a module references
/// `__wasm_call_ctors`, `wasm-ld` treats it as a command-style module and inserts a call to all
/// ~4,000 constructors at the top of *every* exported function, which made each call from
/// JavaScript cost ~0.5 ms (10,000 records took 80 s to parse). Referencing it here turns that
/// off; calling it once at start-up keeps the constructors' effect.
#[wasm_bindgen(start)]
pub fn start() {
    // SAFETY: called exactly once, before any other export runs (wasm-bindgen's start hook).
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
}

/// One accepted record, ready for the model.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsRecord {
    number: usize,
    line: usize,
    name: String,
    /// The sequence as given.
    input: String,
    /// The 110-bp construct the model sees.
    construct: String,
    /// A measured value from a TSV input.
    value: Option<f64>,
    /// Adjustments made (flanks added, padding, truncation).
    notes: Vec<String>,
    /// Whether any adjustment deserves a warning (padding or truncation).
    warning: bool,
}

/// One rejected record.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsRejected {
    number: usize,
    line: usize,
    name: String,
    /// The full message, naming the record and the position (as the CLI prints it).
    message: String,
}

#[derive(Serialize)]
struct JsParsed {
    records: Vec<JsRecord>,
    rejected: Vec<JsRejected>,
}

/// Reads FASTA, one-sequence-per-line or `seq<TAB>value` text with the CLI's rules.
///
/// Returns `{records: [{number, line, name, input, construct, value, notes, warning}],
/// rejected: [{number, line, name, message}]}`; nothing is dropped silently.
#[wasm_bindgen(js_name = parseRecords)]
pub fn parse_records(text: &str) -> Result<JsValue, JsError> {
    let (good, bad) = parse_all(text);
    let parsed = JsParsed {
        records: good
            .into_iter()
            .map(|p| JsRecord {
                number: p.record.number,
                line: p.record.line,
                name: p.record.name,
                input: p.record.sequence,
                construct: p.construct.to_string(),
                value: p.record.value,
                warning: p.notes.iter().any(|n| n.is_warning()),
                notes: p.notes.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        rejected: bad
            .into_iter()
            .map(|e| JsRejected {
                number: e.record,
                line: e.line,
                message: e.to_string(),
                name: e.name,
            })
            .collect(),
    };
    to_js(&parsed)
}

/// The sequences given to `predict`/`ism` as constructs; an error names the 1-based index.
fn constructs(sequences: &[String]) -> Result<Vec<Construct>, JsError> {
    sequences
        .iter()
        .enumerate()
        .map(|(i, s)| {
            prepare(s.trim())
                .map(|(c, _)| c)
                .map_err(|p| JsError::new(&format!("sequence {}: {p}", i + 1)))
        })
        .collect()
}

/// A loaded Camformer model on one backend.
#[wasm_bindgen(js_name = CamformerModel)]
pub struct Model {
    predictor: Predictor,
    /// The same weights with batch norm kept, for gradients and Grad-CAM.
    attributor: Attributor,
    backend: Backend,
    /// The design search in progress, if any (taken out while a step runs).
    design: RefCell<Option<Design>>,
}

async fn device_for(backend: &str) -> Result<(Backend, burn::tensor::Device), JsError> {
    let backend: Backend = backend.parse().map_err(js_err)?;
    let device = backend.device_async().await.map_err(js_err)?;
    Ok((backend, device))
}

impl Model {
    fn new(predictor: Predictor, attributor: Attributor, backend: Backend) -> Self {
        Model {
            predictor,
            attributor,
            backend,
            design: RefCell::new(None),
        }
    }
}

#[wasm_bindgen(js_class = CamformerModel)]
impl Model {
    /// The model compiled into this module, on `backend` (`"cpu"` or `"webgpu"`).
    #[wasm_bindgen(js_name = loadDefault)]
    pub async fn load_default(backend: String) -> Result<Model, JsError> {
        let (backend, device) = device_for(&backend).await?;
        let manifest = default_model::manifest().map_err(js_err)?;
        let attributor =
            Attributor::from_manifest(&manifest, default_model::WEIGHTS, device.clone())
                .map_err(js_err)?;
        let predictor = default_model::predictor(device).map_err(js_err)?;
        Ok(Model::new(predictor, attributor, backend))
    }

    /// User-supplied weights: safetensors bytes in the authors' `state_dict` layout, with the
    /// text of their `manifest.json` (checked against the weights' sha256), or without one an
    /// architecture name (`"mini"`, `"original"`) or JSON config, or neither (detected from
    /// the tensor shapes).
    pub async fn load(
        weights: Vec<u8>,
        manifest: Option<String>,
        arch: Option<String>,
        backend: String,
    ) -> Result<Model, JsError> {
        let (backend, device) = device_for(&backend).await?;
        let predictor = match (manifest, arch) {
            (Some(m), _) if !m.trim().is_empty() => {
                let manifest = Manifest::from_json(m.as_bytes()).map_err(js_err)?;
                Predictor::from_manifest(manifest, &weights, device)
            }
            (_, Some(a)) if !a.trim().is_empty() => {
                let config = if a.trim_start().starts_with('{') {
                    let c: ArchConfig = serde_json::from_str(&a).map_err(|e| {
                        JsError::new(&format!("architecture: invalid JSON config: {e}"))
                    })?;
                    c.validate().map_err(js_err)?;
                    c
                } else {
                    ArchConfig::preset(&a).map_err(js_err)?
                };
                Predictor::from_weights(config, &weights, device)
            }
            _ => {
                let state = StateDict::from_safetensors(&weights).map_err(js_err)?;
                let config = [ArchConfig::mini(), ArchConfig::original()]
                    .into_iter()
                    .find(|c| state.fits(c))
                    .ok_or_else(|| {
                        JsError::new(
                            "weights: the tensors match neither Camformer Original nor Mini; \
                             give a manifest or an architecture",
                        )
                    })?;
                Predictor::from_weights(config, &weights, device)
            }
        }
        .map_err(js_err)?;
        let attributor = Attributor::from_weights(
            predictor.config().clone(),
            &weights,
            predictor.device().clone(),
        )
        .map_err(js_err)?;
        Ok(Model::new(predictor, attributor, backend))
    }

    /// The backend in use: `"webgpu"` or `"cpu"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.name().to_string()
    }

    /// The manifest (name, architecture, output units, training data, metrics), or for bare
    /// weights `{name, architecture}`.
    #[wasm_bindgen(getter)]
    pub fn manifest(&self) -> Result<JsValue, JsError> {
        match self.predictor.manifest() {
            Some(m) => to_js(m),
            None => to_js(&serde_json::json!({
                "name": format!("user weights ({})", self.predictor.config().name),
                "architecture": self.predictor.config(),
            })),
        }
    }

    /// Trainable parameters.
    #[wasm_bindgen(getter, js_name = parameterCount)]
    pub fn parameter_count(&self) -> Result<usize, JsError> {
        self.predictor.config().parameter_count().map_err(js_err)
    }

    /// Sequences per forward pass.
    #[wasm_bindgen(setter, js_name = batchSize)]
    pub fn set_batch_size(&mut self, batch_size: usize) {
        self.predictor.set_batch_size(batch_size);
    }

    /// Predictions for sequences (80-bp regions, 110-bp constructs or 107-113 bp, as the CLI),
    /// in order, as a `Float32Array`.
    pub async fn predict(&self, sequences: Vec<String>) -> Result<Float32Array, JsError> {
        let constructs = constructs(&sequences)?;
        let out = self
            .predictor
            .predict_async(&constructs)
            .await
            .map_err(js_err)?;
        Ok(Float32Array::from(out.as_slice()))
    }

    /// Saturation mutagenesis of one sequence: `{construct, reference, start, width,
    /// matrix}` where `matrix` is `[4 x width]` row-major (rows A, C, G, T; reference cells 0)
    /// of `prediction(mutant) - prediction(reference)` over 0-based construct positions
    /// `start .. start + width` (the 80-bp random region, or all 110 with `allPositions`).
    /// `method` is `"fast"` (default) or `"naive"`.
    pub async fn ism(
        &self,
        sequence: String,
        all_positions: bool,
        method: Option<String>,
    ) -> Result<JsValue, JsError> {
        let construct = constructs(std::slice::from_ref(&sequence))?[0];
        let positions = if all_positions {
            Positions::All
        } else {
            Positions::RandomRegion
        };
        let method: Method = method
            .as_deref()
            .unwrap_or("fast")
            .parse()
            .map_err(js_err)?;
        let result = ism::run_async(&self.predictor, &construct, positions, method)
            .await
            .map_err(js_err)?;
        #[derive(Serialize)]
        struct JsIsm {
            construct: String,
            reference: f32,
            start: usize,
            width: usize,
            matrix: Vec<f32>,
        }
        let range = positions.range();
        to_js(&JsIsm {
            construct: construct.to_string(),
            reference: result.reference,
            start: range.start,
            width: range.len(),
            matrix: result.matrix(positions),
        })
    }

    /// Effects of variants against `reference` (positions 1-based on it as given): `variants`
    /// holds one set per line, `pos ref alt` triples (several per line are applied together)
    /// or a pair of sequences. Returns `[{line, label, reference, alternative, delta}]`; a bad
    /// line is an error naming it.
    pub async fn variants(&self, reference: String, variants: String) -> Result<JsValue, JsError> {
        let list = crate::variants::parse(&reference, &variants).map_err(js_err)?;
        let predictions = self
            .predictor
            .predict_async(&crate::variants::batch(&list))
            .await
            .map_err(js_err)?;
        let effects = crate::variants::effects(list, &predictions).map_err(js_err)?;
        #[derive(Serialize)]
        struct JsEffect {
            line: usize,
            label: String,
            reference: f32,
            alternative: f32,
            delta: f32,
        }
        to_js(
            &effects
                .iter()
                .map(|e| JsEffect {
                    line: e.variant.line,
                    label: e.variant.label.clone(),
                    reference: e.reference,
                    alternative: e.alternative,
                    delta: e.delta(),
                })
                .collect::<Vec<_>>(),
        )
    }

    /// Mutational robustness of one sequence (Vaishnav et al. 2022): `{reference, mutants,
    /// threshold, robustFraction, upFraction, downFraction, meanAbsDelta, maxIncrease,
    /// maxDecrease}` from its fast ISM.
    pub async fn robustness(
        &self,
        sequence: String,
        threshold: f32,
        all_positions: bool,
    ) -> Result<JsValue, JsError> {
        let construct = constructs(std::slice::from_ref(&sequence))?[0];
        let positions = if all_positions {
            Positions::All
        } else {
            Positions::RandomRegion
        };
        let result = ism::run_async(&self.predictor, &construct, positions, Method::Fast)
            .await
            .map_err(js_err)?;
        let r = Robustness::from_ism(&result, threshold).map_err(js_err)?;
        to_js(&serde_json::json!({
            "reference": r.reference,
            "mutants": r.mutants,
            "threshold": r.threshold,
            "robustFraction": r.robust_fraction,
            "upFraction": r.up_fraction,
            "downFraction": r.down_fraction,
            "meanAbsDelta": r.mean_abs_delta,
            "maxIncrease": r.max_increase,
            "maxDecrease": r.max_decrease,
        }))
    }

    /// Starts a design search (replacing any running one): `goal` `"maximize"`/`"minimize"`,
    /// at most `maxEdits` edited positions, `beam` sequences per step (1 = greedy), `frozen`
    /// 1-based positions of the 80-bp random region that must not change. Then call
    /// `designStep()` until it reports `finished` (the worker does, with progress and cancel
    /// between steps).
    #[wasm_bindgen(js_name = designStart)]
    pub async fn design_start(
        &self,
        sequence: String,
        goal: String,
        max_edits: usize,
        beam: usize,
        frozen: Vec<u32>,
    ) -> Result<JsValue, JsError> {
        let construct = constructs(std::slice::from_ref(&sequence))?[0];
        let goal: Goal = goal.parse().map_err(js_err)?;
        let frozen = frozen
            .into_iter()
            .map(|p| {
                let p = p as usize;
                if (1..=RANDOM_LEN).contains(&p) {
                    Ok(p - 1 + RANDOM_START)
                } else {
                    Err(JsError::new(&format!(
                        "frozen position {p} is outside the random region (1-{RANDOM_LEN})"
                    )))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let prediction = self
            .predictor
            .predict_async(std::slice::from_ref(&construct))
            .await
            .map_err(js_err)?[0];
        let config = DesignConfig {
            goal,
            max_edits,
            beam_width: beam,
            frozen,
        };
        let design = Design::new(config, construct, prediction).map_err(js_err)?;
        let state = design_state(&design);
        self.design.replace(Some(design));
        state
    }

    /// One design step: `{finished, steps, trajectory: [{edits, edit, sequence,
    /// prediction}]}` (the path to the best sequence so far).
    #[wasm_bindgen(js_name = designStep)]
    pub async fn design_step(&self) -> Result<JsValue, JsError> {
        let mut design = self
            .design
            .take()
            .ok_or_else(|| JsError::new("no design search is running: call designStart first"))?;
        let mut results = Vec::new();
        for (construct, mutations) in design.pending() {
            results.push(
                crate::fast_ism::fast_async(&self.predictor, &construct, mutations)
                    .await
                    .map_err(js_err)?,
            );
        }
        design.advance(results).map_err(js_err)?;
        let state = design_state(&design);
        self.design.replace(Some(design));
        state
    }

    /// Attributions of one sequence: `method` `"gradcam"` (the authors' Grad-CAM of block
    /// `layer`, default the last block) or `"grad-x-input"`. Returns `{method, channels,
    /// prediction, values, perPosition, activation, scale}`: `values` is `[channels x 110]`
    /// row-major (channels A, C, G, T and, for Mini, the purine flag), `perPosition` the
    /// per-position reduction (Grad-CAM: channel mean; gradient x input: channel sum),
    /// `activation` Grad-CAM's resampled channel-mean activation (empty otherwise).
    pub async fn attribute(
        &self,
        sequence: String,
        method: String,
        layer: Option<usize>,
    ) -> Result<JsValue, JsError> {
        let construct = constructs(std::slice::from_ref(&sequence))?[0];
        let method = match method.to_ascii_lowercase().as_str() {
            "gradcam" | "grad-cam" => AttributionMethod::GradCam {
                layer: layer.unwrap_or(self.predictor.config().blocks.len() - 1),
            },
            "grad-x-input" | "gradient-x-input" | "gradxinput" => AttributionMethod::GradientXInput,
            other => {
                return Err(JsError::new(&format!(
                    "unknown attribution method '{other}': expected 'gradcam' or 'grad-x-input'"
                )));
            }
        };
        let a = self
            .attributor
            .attribute_async(std::slice::from_ref(&construct), method)
            .await
            .map_err(js_err)?;
        to_js(&serde_json::json!({
            "method": method.name(),
            "channels": a.channels,
            "prediction": a.predictions[0],
            "values": a.sequence(0),
            "perPosition": a.per_position(0),
            "activation": a.activation,
            "scale": a.scale[0],
        }))
    }

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
        None => crate::motifs::shipped(),
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

/// User backgrounds (any accepted sequence form), or `n` seeded random 80-bp regions.
fn pair_backgrounds(given: &[String], n: usize, seed: u64) -> Result<Vec<Construct>, JsError> {
    if given.is_empty() {
        if n == 0 {
            return Err(JsError::new(
                "give backgrounds or a number of random ones (> 0)",
            ));
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

/// The JavaScript view of a design search.
fn design_state(design: &Design) -> Result<JsValue, JsError> {
    to_js(&serde_json::json!({
        "finished": design.is_finished(),
        "steps": design.steps(),
        "maxEdits": design.config().max_edits,
        "trajectory": design.trajectory(),
    }))
}

/// 0-based start of the random region in a construct (17).
#[wasm_bindgen(js_name = randomRegionStart)]
pub fn random_region_start() -> usize {
    RANDOM_START
}

/// The official DREAM 2022 score of predictions for the challenge's test set, as
/// `camformer score` computes it: `predictions` one number per line in test order, or
/// `idx<TAB>prediction` lines (a header naming `idx`/`prediction` is fine); `measured` the
/// user's copy of the measured values (a TSV with `idx`, `expr` and optionally the subset flag
/// columns); `pairs` an object `{SNVs, motif_perturbation, motif_tiling}` of pair-list texts
/// (`alt_pos ref_pos` lines) for the private paired subsets; `pairRule` `"any-public-index"`
/// (default: a pair is private only if neither sequence is public) or `"public-pair"`.
/// Returns `{alignment, predictions, measured, public: {pearsonScore, spearmanScore, subsets}
/// | {error}, private: {...}, published}` with `subsets: [{name, n, pearson, spearman}]`.
#[wasm_bindgen(js_name = dreamScore)]
pub fn dream_score(
    predictions: &str,
    measured: &str,
    pairs: JsValue,
    pair_rule: Option<String>,
) -> Result<JsValue, JsError> {
    use crate::dream::{Alignment, PairRule, Predictions, Scorer, SubsetScore, TestSet};
    let public = Scorer::shipped_public_leaderboard().map_err(js_err)?;
    let mut test =
        TestSet::parse(measured).map_err(|e| JsError::new(&format!("measured values: {e}")))?;
    let pairs: std::collections::HashMap<String, String> =
        if pairs.is_undefined() || pairs.is_null() {
            Default::default()
        } else {
            serde_wasm_bindgen::from_value(pairs)
                .map_err(|e| JsError::new(&format!("pairs: expected {{subset: text}}: {e}")))?
        };
    for (subset, text) in &pairs {
        test.add_pairs(subset, text)
            .map_err(|e| JsError::new(&format!("{subset} pairs: {e}")))?;
    }
    let rule = match pair_rule.as_deref().unwrap_or("any-public-index") {
        "any-public-index" => PairRule::AnyPublicIndex,
        "public-pair" => PairRule::PublicPair,
        other => {
            return Err(JsError::new(&format!(
                "unknown pair rule '{other}': expected 'any-public-index' or 'public-pair'"
            )));
        }
    };
    let parsed =
        Predictions::parse(predictions).map_err(|e| JsError::new(&format!("predictions: {e}")))?;
    let (values, alignment) = parsed
        .resolve(&test)
        .map_err(|e| JsError::new(&format!("predictions: {e}")))?;
    let get = |i: usize| values.get(&i).copied();
    let table = |subsets: &[(String, SubsetScore)]| {
        subsets
            .iter()
            .map(|(name, s)| {
                serde_json::json!({"name": name, "n": s.n, "pearson": s.pearson, "spearman": s.spearman})
            })
            .collect::<Vec<_>>()
    };
    let public_result = match public.score(get) {
        Ok(r) => serde_json::json!({
            "pearsonScore": r.pearson_score, "spearmanScore": r.spearman_score,
            "subsets": table(&r.subsets),
        }),
        Err(e) => serde_json::json!({ "error": e.to_string() }),
    };
    let private = test.private_scorer_with(&public, rule).map_err(js_err)?;
    let private_result = match private.subset_scores(get) {
        Ok(subsets) => {
            let totals = if private.is_complete() {
                private
                    .score(get)
                    .ok()
                    .map(|r| (r.pearson_score, r.spearman_score))
            } else {
                None
            };
            serde_json::json!({
                "pearsonScore": totals.map(|t| t.0), "spearmanScore": totals.map(|t| t.1),
                "subsets": table(&subsets),
                "complete": private.is_complete(),
            })
        }
        Err(e) => serde_json::json!({ "error": e.to_string() }),
    };
    to_js(&serde_json::json!({
        "alignment": match alignment {
            Alignment::ByIndex => "by test index",
            Alignment::TestOrder => "line k = test index k",
            Alignment::MeasuredOrder => "line k = row k of the measured file",
        },
        "predictions": parsed.len(),
        "measured": test.len(),
        "public": public_result,
        "private": private_result,
        "published": {
            "LegNet (autosome.org), public leaderboard": {"pearsonScore": 0.829, "spearmanScore": 0.860, "r2": 0.952, "rho": 0.979},
            "Camformer Original (paper, all 71,103 test sequences)": {"r2": 0.914, "rho": 0.962},
            "Camformer Mini (paper, all 71,103 test sequences)": {"r2": 0.898, "rho": 0.952},
        },
    }))
}

/// The JavaScript API tested in a JavaScript engine (`wasm-bindgen-test`, run in Node.js by
/// `scripts/test.sh`): results must equal the CLI's known outputs for the shipped model.
#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    const INPUTS: &str = include_str!("../tests/data/default_model/inputs.fa");
    const PREDICTIONS: &str = include_str!("../tests/data/default_model/predictions.tsv");
    const ISM: &str = include_str!("../tests/data/default_model/ism.tsv");

    fn message(e: JsError) -> String {
        let v: JsValue = e.into();
        js_sys::Error::from(v).message().into()
    }

    fn known_predictions() -> Vec<f32> {
        PREDICTIONS
            .lines()
            .skip(1)
            .map(|l| l.split('\t').nth(2).unwrap().parse().unwrap())
            .collect()
    }

    #[derive(Deserialize)]
    struct Parsed {
        records: Vec<ParsedRecord>,
        rejected: Vec<ParsedRejected>,
    }
    #[derive(Deserialize)]
    struct ParsedRecord {
        name: String,
        construct: String,
        warning: bool,
    }
    #[derive(Deserialize)]
    struct ParsedRejected {
        number: usize,
        message: String,
    }

    #[wasm_bindgen_test]
    fn parse_records_keeps_every_record_and_names_positions() {
        let text = format!("{INPUTS}>bad\nACGTX\n");
        let parsed: Parsed = serde_wasm_bindgen::from_value(parse_records(&text).unwrap()).unwrap();
        assert_eq!(parsed.records.len(), known_predictions().len());
        assert_eq!(parsed.records[0].name, "dream_idx_0");
        assert!(parsed.records.iter().all(|r| r.construct.len() == 110));
        assert!(
            parsed.records.iter().any(|r| r.warning),
            "the padded record warns"
        );
        assert_eq!(parsed.rejected.len(), 1);
        assert_eq!(parsed.rejected[0].number, parsed.records.len() + 1);
        assert!(
            parsed.rejected[0]
                .message
                .contains("invalid base 'X' at position 5"),
            "{}",
            parsed.rejected[0].message
        );
    }

    #[wasm_bindgen_test]
    async fn default_model_predicts_what_the_cli_predicts() {
        let model = Model::load_default("cpu".into()).await.unwrap();
        assert_eq!(model.backend(), "cpu");
        let seqs: Vec<String> = INPUTS
            .lines()
            .filter(|l| !l.starts_with('>'))
            .map(str::to_string)
            .collect();
        let got = model.predict(seqs).await.unwrap().to_vec();
        for (g, k) in got.iter().zip(known_predictions()) {
            assert!((g - k).abs() < 1e-4, "{g} vs CLI {k}");
        }
    }

    #[wasm_bindgen_test]
    async fn fast_ism_matches_the_cli_naive_ism() {
        #[derive(Deserialize)]
        struct JsIsm {
            start: usize,
            width: usize,
            matrix: Vec<f32>,
            construct: String,
        }
        let model = Model::load_default("cpu".into()).await.unwrap();
        let seq = INPUTS.lines().nth(1).unwrap().to_string();
        let r: JsIsm = serde_wasm_bindgen::from_value(
            model.ism(seq, false, Some("fast".into())).await.unwrap(),
        )
        .unwrap();
        assert_eq!((r.start, r.width), (RANDOM_START, RANDOM_LEN));
        let mut compared = 0;
        for line in ISM.lines().skip(1) {
            let f: Vec<&str> = line.split('\t').collect();
            let pos: usize = f[1].parse().unwrap();
            let row = b"ACGT"
                .iter()
                .position(|&b| b == f[3].as_bytes()[0])
                .unwrap();
            let known: f32 = f[4].parse().unwrap();
            let got = r.matrix[row * r.width + pos - 1 - r.start];
            assert!((got - known).abs() < 1e-4, "{line}: {got}");
            assert_ne!(r.construct.as_bytes()[pos - 1], f[3].as_bytes()[0]);
            compared += 1;
        }
        assert_eq!(compared, 240);
    }

    #[wasm_bindgen_test]
    async fn errors_name_the_sequence_and_position() {
        let model = Model::load_default("cpu".into()).await.unwrap();
        let bad = vec![
            "A".repeat(80),
            format!("{}X{}", "A".repeat(40), "C".repeat(39)),
        ];
        let e = message(model.predict(bad).await.unwrap_err());
        assert_eq!(
            e,
            "sequence 2: invalid base 'X' at position 41 (allowed: A, C, G, T, N)"
        );
        let e = message(
            model
                .variants("A".repeat(80), "3 C G".into())
                .await
                .unwrap_err(),
        );
        assert!(e.contains("line 1") && e.contains("position 3"), "{e}");
        let e = message(
            Model::load(vec![1, 2, 3], None, None, "cpu".into())
                .await
                .err()
                .unwrap(),
        );
        assert!(e.starts_with("weights:"), "{e}");
    }

    #[wasm_bindgen_test]
    async fn design_steps_report_predictions_of_their_sequences() {
        let model = Model::load_default("cpu".into()).await.unwrap();
        let seq = INPUTS.lines().nth(1).unwrap().to_string();
        model
            .design_start(seq, "maximize".into(), 2, 1, vec![1, 2, 3])
            .await
            .unwrap();
        #[derive(Deserialize)]
        struct State {
            finished: bool,
            trajectory: Vec<Step>,
        }
        #[derive(Deserialize)]
        struct Step {
            sequence: String,
            prediction: f32,
        }
        let mut state: State;
        loop {
            state = serde_wasm_bindgen::from_value(model.design_step().await.unwrap()).unwrap();
            if state.finished {
                break;
            }
        }
        let seqs: Vec<String> = state
            .trajectory
            .iter()
            .map(|s| s.sequence.clone())
            .collect();
        let direct = model.predict(seqs).await.unwrap().to_vec();
        for (s, d) in state.trajectory.iter().zip(direct) {
            assert!((s.prediction - d).abs() < 1e-4);
            assert_eq!(&s.sequence[17..20], &state.trajectory[0].sequence[17..20]);
        }
    }

    #[wasm_bindgen_test]
    async fn attributions_are_normalised_and_predict_like_the_model() {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct JsAttr {
            channels: usize,
            prediction: f32,
            values: Vec<f32>,
            per_position: Vec<f32>,
        }
        let model = Model::load_default("cpu".into()).await.unwrap();
        let seq = INPUTS.lines().nth(1).unwrap().to_string();
        let cam: JsAttr = serde_wasm_bindgen::from_value(
            model
                .attribute(seq.clone(), "gradcam".into(), None)
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(cam.values.len(), cam.channels * 110);
        assert_eq!(cam.per_position.len(), 110);
        let max = cam.values.iter().copied().fold(f32::MIN, f32::max);
        assert!(
            (max - 1.0).abs() < 1e-6,
            "Grad-CAM is normalised by its maximum: {max}"
        );
        assert!((cam.prediction - known_predictions()[0]).abs() < 1e-4);
        let gxi: JsAttr = serde_wasm_bindgen::from_value(
            model
                .attribute(seq, "grad-x-input".into(), None)
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(gxi.per_position.iter().any(|v| v.abs() > 0.0));
        let e = message(
            model
                .attribute("ACGT".repeat(20), "gradcam".into(), Some(99))
                .await
                .unwrap_err(),
        );
        assert!(e.contains("99"), "{e}");
    }
}
