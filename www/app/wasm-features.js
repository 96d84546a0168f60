// WebAssembly features the app's modules need or can use, detected the only way wasm allows:
// by asking the engine to validate a tiny module that uses them (there is no runtime query).

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)): wasm SIMD (simd128).
const SIMD128_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// (module (func (result v128) (f32x4.relaxed_madd (i8x16.splat (i32.const 0)) x3))): relaxed
// SIMD's fused multiply-add, the one instruction camformer-relaxed_bg.wasm adds.
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 0, 253, 15, 65, 0, 253, 15,
  65, 0, 253, 15, 253, 133, 2, 11,
]);

/** Whether this engine runs wasm SIMD (every module of the app needs it). */
export function hasSimd128() {
  return WebAssembly.validate(SIMD128_PROBE);
}

/** Whether this engine runs relaxed SIMD (Chromium since version 114; elsewhere the simd128 module runs). */
export function hasRelaxedSimd() {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}
