// Test inputs and expected values.
//
// Expected predictions come from tests/browser/fixtures/expected.json when it exists: the
// native CLI's predictions of the shipped default model (see tests/browser/README.md for the
// format and the command that writes it; the prediction and fixture-ISM tests require it).
// Without it, the other tests take as expected values those of the wasm API used directly in a
// bare page (tests/browser/bare.html), which checks everything the app adds (worker, chunking,
// ordering, parsing) but not wasm against native.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, check, openPage } from './harness.mjs';

/** The CLI's expected values; CAMFORMER_BROWSER_FIXTURE=path overrides (a missing path: none). */
export const FIXTURE = process.env.CAMFORMER_BROWSER_FIXTURE
  ? path.resolve(process.env.CAMFORMER_BROWSER_FIXTURE)
  : path.join(ROOT, 'tests', 'browser', 'fixtures', 'expected.json');

/**
 * The DREAM test sample: 183 real constructs with measured expression.
 * @returns {Array<{name: string, sequence: string, value: number}>}
 */
export function dreamSample() {
  const lines = readFileSync(path.join(ROOT, 'tests', 'data', 'dream_test_sample.tsv'), 'utf8').trim().split('\n');
  const head = lines[0].split('\t');
  const col = (name) => head.indexOf(name);
  return lines.slice(1).map((line) => {
    const f = line.split('\t');
    return { name: `dream_${f[col('idx')]}`, sequence: f[col('seq')], value: Number(f[col('expr')]) };
  });
}

/** The shipped default model's weights, compiled into the wasm modules. */
export const DEFAULT_WEIGHTS = path.join(ROOT, 'models', 'default', 'model.safetensors');

/**
 * Reads the fixture, accepting `{sequences, predictions}` or `{records: [{sequence, prediction}]}`,
 * and its ISM (`ism: {sequence, deltas: [{position (1-based construct), ref, alt, delta}]}`) when
 * present. A fixture made from other weights than models/default/ (`weights_sha256`) is an error:
 * it would make every comparison fail for the wrong reason.
 * @returns {{names: string[], sequences: string[], predictions: number[], source: string, ism: {sequence: string, deltas: Array<{position: number, ref: string, alt: string, delta: number}>}|null}|null}
 */
export function readFixture() {
  if (!existsSync(FIXTURE)) return null;
  const json = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  if (json.weights_sha256 && existsSync(DEFAULT_WEIGHTS)) {
    const actual = createHash('sha256').update(readFileSync(DEFAULT_WEIGHTS)).digest('hex');
    check(
      actual === json.weights_sha256,
      `${path.relative(ROOT, FIXTURE)} was made from other weights (sha256 ${json.weights_sha256}) than models/default/model.safetensors (${actual}): run scripts/default_model_fixture.sh`,
    );
  }
  const records = json.records ?? json.sequences.map((sequence, i) => ({ sequence, prediction: json.predictions[i], name: json.names?.[i] }));
  check(records.length > 0, `${FIXTURE}: no records`);
  for (const r of records) check(typeof r.sequence === 'string' && Number.isFinite(r.prediction), `${FIXTURE}: each record needs a sequence and a numeric prediction`);
  return {
    names: records.map((r, i) => r.name ?? `fixture_${i + 1}`),
    sequences: records.map((r) => r.sequence),
    predictions: records.map((r) => r.prediction),
    source: `native CLI (${path.relative(ROOT, FIXTURE)})`,
    ism: json.ism ?? null,
    weightsSha256: json.weights_sha256 ?? null,
  };
}

/**
 * Fails clearly when the wasm's built-in model is not models/default/ (a pkg/ built before the
 * shipped weights changed), instead of with a list of wrong numbers further on.
 * @param {{manifest?: {weights?: {sha256?: string}}}} detail the element's `ready` detail
 */
export function assertBuiltInModelIsDefault(detail) {
  // Only to exercise the rest of the app while a rebuild is pending; the comparisons with the
  // CLI and the model test still fail then.
  if (process.env.CAMFORMER_BROWSER_STALE_OK === '1') return;
  const built = detail?.manifest?.weights?.sha256;
  if (!built || !existsSync(DEFAULT_WEIGHTS)) return;
  const shipped = createHash('sha256').update(readFileSync(DEFAULT_WEIGHTS)).digest('hex');
  check(
    built === shipped,
    `pkg/ is stale: the wasm's built-in model has weights sha256 ${built}, models/default/model.safetensors has ${shipped}; rebuild pkg/ (scripts/build-wasm.sh)`,
  );
}

/**
 * Opens the bare reference page in `context` and returns an object to query it.
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} origin
 */
export async function referencePage(context, origin) {
  const ref = await openPage(context, { origin });
  await ref.page.goto(`${origin}/tests/browser/bare.html`);
  await ref.page.waitForFunction(() => window.camformerReferenceReady || window.camformerReferenceError, null, { timeout: 120_000 });
  const error = await ref.page.evaluate(() => window.camformerReferenceError);
  check(!error, `the bare reference page failed: ${error}`);
  return {
    /** @param {string[]} sequences */
    predict: (sequences) => ref.page.evaluate((s) => window.camformerReference.predict(s), sequences),
    /** @param {string} sequence */
    ism: (sequence, allPositions = false) => ref.page.evaluate(([s, a]) => window.camformerReference.ism(s, a), [sequence, allPositions]),
    /** CamformerModel.variants(reference, text): {effects, rejected}; rejects on a bad reference. */
    variants: (reference, text) => ref.page.evaluate(([r, t]) => window.camformerReference.variants(r, t), [reference, text]),
    /** CamformerModel.robustness(sequence, threshold, allPositions). */
    robustness: (sequence, threshold, allPositions = false) =>
      ref.page.evaluate(([s, t, a]) => window.camformerReference.robustness(s, t, a), [sequence, threshold, allPositions]),
    /** A whole design search with designStart + designStep. */
    design: (sequence, goal, maxEdits, beamWidth, frozen) =>
      ref.page.evaluate((args) => window.camformerReference.design(...args), [sequence, goal, maxEdits, beamWidth, frozen]),
    /** Any other function of window.camformerReference (bare.js), by name. */
    call: (name, ...args) => ref.page.evaluate(([n, a]) => window.camformerReference[n](...a), [name, args]),
    assertClean: ref.assertClean,
    close: () => ref.page.close(),
  };
}

/**
 * The cases to predict and their expected values: the fixture's, or the DREAM sample with the
 * bare page's predictions.
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} origin
 * @returns {Promise<{names: string[], sequences: string[], predictions: number[], values: (number|null)[], source: string, fixture: boolean}>}
 */
export async function expectedCases(context, origin) {
  const fixture = readFixture();
  if (fixture) return { ...fixture, fixture: true, values: fixture.sequences.map(() => null) };
  const sample = dreamSample();
  const ref = await referencePage(context, origin);
  const sequences = sample.map((r) => r.sequence);
  const predictions = await ref.predict(sequences);
  ref.assertClean();
  await ref.close();
  return {
    names: sample.map((r) => r.name),
    sequences,
    predictions,
    values: sample.map((r) => r.value),
    fixture: false,
    source: 'CamformerModel.predict in a bare page (tests/browser/fixtures/expected.json not present)',
  };
}
