// The wasm API used directly, without worker or app, as the tests' reference: the app must give
// the same numbers as CamformerModel itself (and, with tests/browser/fixtures/expected.json,
// as the native CLI). The CPU-only module (pkg/camformer.js), like every page by default.

import init, { CamformerModel, dreamScore, motifList, parseRecords, scanMotifs } from '../../pkg/camformer.js';

try {
  await init();
  const model = await CamformerModel.loadDefault('cpu');
  window.camformerReference = {
    manifest: model.manifest,
    predict: async (sequences) => Array.from(await model.predict(sequences)),
    ism: (sequence, allPositions = false, method = 'fast') => model.ism(sequence, allPositions, method),
    parse: (text) => parseRecords(text),
    variants: (reference, text) => model.variants(reference, text),
    robustness: (sequence, threshold = 0.1, allPositions = false) => model.robustness(sequence, threshold, allPositions),
    // Motifs and attributions (seeds as numbers here, u64 BigInts for the wasm).
    motifList: (motifs = null) => motifList(motifs),
    scanMotifs: (sequence, motifs = null, pValue = null, background = null) => scanMotifs(sequence, motifs, pValue, background),
    motifInsert: (sequence, motif, site, strand, position, motifs = null) => model.motifInsert(sequence, motif, site, strand, position, motifs),
    motifAblate: (sequence, position, length, replacement, seed) => model.motifAblate(sequence, position, length, replacement, BigInt(seed)),
    motifTile: (sequence, motif, site = null, motifs = null) => model.motifTile(sequence, motif, site, motifs),
    motifPair: (a, b, backgrounds, n, seed, motifs = null) => model.motifPair(a, b, backgrounds, n, BigInt(seed), motifs),
    motifMatrix: (ids, backgrounds, n, seed, motifs = null) => model.motifMatrix(ids, backgrounds, n, BigInt(seed), motifs),
    attribute: (sequence, method, layer = null) => model.attribute(sequence, method, layer),
    dreamScore: (predictions, measured, pairs = null, rule = null) => dreamScore(predictions, measured, pairs, rule),
    /** A whole design search, as the worker runs it: designStart, then designStep until finished. */
    design: async (sequence, goal, maxEdits, beamWidth, frozen = []) => {
      let state = await model.designStart(sequence, goal, maxEdits, beamWidth, Uint32Array.from(frozen));
      while (!state.finished) state = await model.designStep();
      return state;
    },
  };
  window.camformerReferenceReady = true;
} catch (err) {
  window.camformerReferenceError = String(err?.message ?? err);
}
