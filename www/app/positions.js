// Positions as users type and read them, one convention in every panel (the same rules as the
// Rust `input::positions` module, which the CLI and the variants parser use): a plain number
// is a 1-based position in the 110-bp construct the model sees (ISM, design edits like 89T>G,
// variants); `r72` is a position in the 80-bp random region (construct 89). Every field that
// takes a position accepts both, and positions are shown as "89 (region 72)".

import { REGION_LENGTH, REGION_START } from './dom.js';

/** Length of the construct. */
export const CONSTRUCT_LENGTH = 110;

/**
 * Reads one position, `89` or `r72`, as a 1-based construct position.
 * @param {string} token
 * @returns {{position: number} | {error: string}}
 */
export function parsePosition(token) {
  const t = token.trim();
  const m = /^([rR]?)\s*(\d+)$/.exec(t);
  if (!m) return { error: `'${t}' is not a position: write a construct position (1-${CONSTRUCT_LENGTH}) or a random-region position with an r (r1-r${REGION_LENGTH})` };
  const n = Number(m[2]);
  if (m[1]) {
    if (n < 1 || n > REGION_LENGTH) return { error: `'${t}' is outside the random region (r1-r${REGION_LENGTH})` };
    return { position: REGION_START + n };
  }
  if (n < 1 || n > CONSTRUCT_LENGTH) return { error: `'${t}' is outside the ${CONSTRUCT_LENGTH}-bp construct (1-${CONSTRUCT_LENGTH}; r1-r${REGION_LENGTH} for the random region)` };
  return { position: n };
}

/**
 * Reads one position that must lie in the random region, as a 1-based region position (what
 * the motif what-ifs and the design search take).
 * @param {string} token
 * @param {string} what the field's name, for the message
 * @returns {number} the region position
 * @throws {Error} naming the field and the allowed range
 */
export function regionPositionOf(token, what) {
  const r = parsePosition(token);
  if (r.error) throw new Error(`${what}: ${r.error}.`);
  const region = r.position - REGION_START;
  if (region < 1 || region > REGION_LENGTH) throw new Error(`${what}: ${describePosition(r.position)} is in a constant flank; edits go in the random region (construct ${REGION_START + 1}-${REGION_START + REGION_LENGTH}, or r1-r${REGION_LENGTH}).`);
  return region;
}

/**
 * Reads positions and ranges (`18-25, r3 r10-12; 90`) as sorted, distinct construct positions.
 * @param {string} text
 * @returns {{positions: number[]} | {error: string}}
 */
export function parsePositionList(text) {
  const out = new Set();
  for (const token of text.split(/[\s,;]+/).filter(Boolean)) {
    const range = /^([rR]?\d+)\s*[-–]\s*([rR]?\d+)$/.exec(token);
    let a;
    let b;
    if (range) {
      // `r10-12` means r10-r12: the start's prefix holds for the end.
      const end = /^[rR]/.test(range[1]) && !/^[rR]/.test(range[2]) ? `r${range[2]}` : range[2];
      a = parsePosition(range[1]);
      b = parsePosition(end);
    } else {
      a = b = parsePosition(token);
    }
    if (a.error) return { error: a.error };
    if (b.error) return { error: b.error };
    if (a.position > b.position) return { error: `'${token}': the range runs backwards` };
    for (let p = a.position; p <= b.position; p++) out.add(p);
  }
  return { positions: [...out].sort((x, y) => x - y) };
}

/**
 * A construct position for people: "89 (region 72)", "5 (5′ flank)".
 * @param {number} position 1-based construct position
 * @returns {string}
 */
export function describePosition(position) {
  const r = position - REGION_START;
  if (r >= 1 && r <= REGION_LENGTH) return `${position} (region ${r})`;
  return `${position} (${position <= REGION_START ? '5′' : '3′'} flank)`;
}

/**
 * Writes positions as ranges: {18,19,20,59} -> "18-20,59".
 * @param {Iterable<number>} positions
 * @returns {string}
 */
export function formatPositions(positions) {
  const sorted = [...positions].sort((a, b) => a - b);
  const parts = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(',');
}
