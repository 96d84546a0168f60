//! The CPU network's matrix product in WebAssembly: our own packed GEMM on 128-bit SIMD.
//!
//! Why not the `gemm` crate, as natively: its simd128 kernels multiply and add separately, and
//! a module that uses relaxed SIMD's fused multiply-add (`f32x4.relaxed_madd`, one instruction
//! where the CPU has FMA) cannot share code with one that does not: a browser without relaxed
//! SIMD refuses the whole module. So `pkg/` ships two CPU modules built from this one kernel,
//! generic over how it multiplies and adds ([`MulAdd`]): the baseline (simd128 `mul` + `add`,
//! every browser) and, with the cargo feature `relaxed-simd`, the fused one, which the page
//! loads where `WebAssembly.validate` accepts relaxed SIMD.
//!
//! The layout is the classic one (Goto and van de Geijn): the right operand (the layer's
//! weights, `[k, n]`) is packed per block of [`KC`] rows into panels of [`NR`] columns, so the
//! inner loop streams one panel (`KC x NR` floats, 8 KB: it stays in L1) while it walks the
//! rows of the left operand. The left operand needs no packing: its rows are the convolution's
//! windows, contiguous in memory (and overlapping), read with a scalar splat per row and step.
//! The micro-kernel keeps an [`MR`] x [`NR`] tile of the product in 8 vector registers; with
//! the two panel vectors and the four row splats that is 14 live vectors, inside the 15 that
//! V8 allocates on x86-64. A 6 x 8 tile (12 accumulators, 20 live vectors) ran 1.5-2x slower in
//! Chromium (measured; presumably spills).

use core::arch::wasm32::{f32x4_add, f32x4_mul, f32x4_splat, v128, v128_load32_splat, v128_store};
use std::cell::RefCell;

/// Rows of the product per micro-kernel call.
const MR: usize = 4;
/// Columns per micro-kernel call and per packed panel: two 4-float vectors.
const NR: usize = 8;
/// Rows of the right operand packed at a time (so a panel is `KC * NR * 4` bytes = 8 KB).
const KC: usize = 256;
/// Rows of the left operand that walk one panel before the next (a block of windows that
/// stays in L2 while every panel passes over it).
const MC: usize = 96;

/// How the kernel computes `a * b + c` on four lanes.
pub(super) trait MulAdd {
    /// `a * b + c`.
    ///
    /// # Safety
    /// The running engine must support the instructions the implementation uses.
    unsafe fn mul_add(a: v128, b: v128, c: v128) -> v128;
}

/// simd128's `f32x4.mul` then `f32x4.add`: two roundings, every browser with wasm SIMD.
#[cfg_attr(all(feature = "relaxed-simd", not(test)), allow(dead_code))] // tests compare both
pub(super) struct Separate;

impl MulAdd for Separate {
    #[inline(always)]
    unsafe fn mul_add(a: v128, b: v128, c: v128) -> v128 {
        f32x4_add(f32x4_mul(a, b), c)
    }
}

/// Relaxed SIMD's `f32x4.relaxed_madd`: one fused instruction (one rounding) where the CPU has
/// FMA, otherwise the engine's mul + add. Only in a module built with the `relaxed-simd`
/// feature.
#[cfg(feature = "relaxed-simd")]
pub(super) struct Fused;

#[cfg(feature = "relaxed-simd")]
impl MulAdd for Fused {
    #[inline]
    #[target_feature(enable = "relaxed-simd")]
    unsafe fn mul_add(a: v128, b: v128, c: v128) -> v128 {
        core::arch::wasm32::f32x4_relaxed_madd(a, b, c)
    }
}

/// The multiply-add this module was built with.
#[cfg(feature = "relaxed-simd")]
pub(super) type Built = Fused;
/// The multiply-add this module was built with.
#[cfg(not(feature = "relaxed-simd"))]
pub(super) type Built = Separate;

thread_local! {
    /// The packed panels, kept between calls (a model's layers reuse one buffer).
    static PACKED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// `dst = lhs * rhs`, the same contract as [`super::matmul`] (the caller has checked the
/// shapes): `dst` `[m, n]` and `rhs` `[k, n]` row-major, row `i` of `lhs` the `k` floats at
/// `lhs[i * lhs_row_stride]`.
#[allow(clippy::too_many_arguments)] // a GEMM's shape, operands and strides
pub(super) fn matmul<F: MulAdd>(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    lhs: &[f32],
    lhs_row_stride: usize,
    rhs: &[f32],
) {
    debug_assert!(m > 0 && n > 0 && k > 0);
    debug_assert!(dst.len() >= m * n);
    debug_assert!(lhs.len() > (m - 1) * lhs_row_stride + k - 1);
    debug_assert!(rhs.len() >= k * n);
    let panels = n.div_ceil(NR);
    PACKED.with_borrow_mut(|packed| {
        for pc in (0..k).step_by(KC) {
            let kc = KC.min(k - pc);
            pack(&rhs[pc * n..(pc + kc) * n], n, kc, panels, packed);
            // The first block of k writes dst; the others add to it.
            let first = pc == 0;
            for ic in (0..m).step_by(MC) {
                let rows = MC.min(m - ic);
                for panel in 0..panels {
                    let col = panel * NR;
                    let cols = NR.min(n - col);
                    let b = &packed[panel * kc * NR..(panel + 1) * kc * NR];
                    let mut i = ic;
                    // Whole MR-row tiles, then the remaining rows one at a time. Direct calls:
                    // choosing the kernel through a function pointer measured 3-5% slower.
                    while i + MR <= ic + rows {
                        // SAFETY: rows i..i+MR of lhs (from column pc, kc floats each) and of
                        // dst (columns col..col+cols) are inside the slices the caller checked;
                        // b holds kc * NR floats.
                        unsafe {
                            tile::<F, MR>(
                                kc,
                                lhs.as_ptr().add(i * lhs_row_stride + pc),
                                lhs_row_stride,
                                b.as_ptr(),
                                dst.as_mut_ptr().add(i * n + col),
                                n,
                                cols,
                                first,
                            )
                        };
                        i += MR;
                    }
                    while i < ic + rows {
                        // SAFETY: as above, for one row.
                        unsafe {
                            tile::<F, 1>(
                                kc,
                                lhs.as_ptr().add(i * lhs_row_stride + pc),
                                lhs_row_stride,
                                b.as_ptr(),
                                dst.as_mut_ptr().add(i * n + col),
                                n,
                                cols,
                                first,
                            )
                        };
                        i += 1;
                    }
                }
            }
        }
    });
}

/// Packs `block` (`kc` rows of `n`) into `panels` panels of `kc x NR`, panel-major then row,
/// the columns past `n` zero.
fn pack(block: &[f32], n: usize, kc: usize, panels: usize, packed: &mut Vec<f32>) {
    packed.clear();
    packed.resize(panels * kc * NR, 0.0);
    for (panel, out) in packed.chunks_exact_mut(kc * NR).enumerate() {
        let col = panel * NR;
        let cols = NR.min(n - col);
        for (p, row) in out.chunks_exact_mut(NR).enumerate() {
            row[..cols].copy_from_slice(&block[p * n + col..p * n + col + cols]);
        }
    }
}

/// One `R x NR` tile of the product over `kc` steps: `dst (+)= lhs[R rows] * panel`.
///
/// # Safety
/// `a` must point at `R` rows of `kc` floats every `a_stride`, `b` at `kc * NR` floats, and
/// `dst` at `R` rows of `cols <= NR` writable floats every `dst_stride`; the engine must
/// support `F`'s instructions.
#[allow(clippy::too_many_arguments)]
#[inline]
#[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
unsafe fn tile<F: MulAdd, const R: usize>(
    kc: usize,
    a: *const f32,
    a_stride: usize,
    b: *const f32,
    dst: *mut f32,
    dst_stride: usize,
    cols: usize,
    first: bool,
) {
    let zero = f32x4_splat(0.0);
    let mut acc = [[zero; 2]; R];
    for p in 0..kc {
        // SAFETY (the function's contract): panel row p and element p of each lhs row.
        unsafe {
            let b0 = (b.add(p * NR) as *const v128).read_unaligned();
            let b1 = (b.add(p * NR + 4) as *const v128).read_unaligned();
            for (r, acc) in acc.iter_mut().enumerate() {
                let x = v128_load32_splat(a.add(r * a_stride + p) as *const u32);
                acc[0] = F::mul_add(x, b0, acc[0]);
                acc[1] = F::mul_add(x, b1, acc[1]);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        // SAFETY (the function's contract): row r of dst has `cols` writable floats.
        unsafe {
            let out = dst.add(r * dst_stride);
            if cols == NR {
                for (half, &v) in acc.iter().enumerate() {
                    let o = out.add(4 * half) as *mut v128;
                    let v = if first {
                        v
                    } else {
                        f32x4_add(o.read_unaligned(), v)
                    };
                    o.write_unaligned(v);
                }
            } else {
                let mut tmp = [0.0f32; NR];
                v128_store(tmp.as_mut_ptr() as *mut v128, acc[0]);
                v128_store(tmp.as_mut_ptr().add(4) as *mut v128, acc[1]);
                for (c, &v) in tmp[..cols].iter().enumerate() {
                    let o = out.add(c);
                    *o = if first { v } else { *o + v };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::reference;
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn check<F: MulAdd>(m: usize, n: usize, k: usize, stride: usize) {
        let lhs: Vec<f32> = (0..(m - 1) * stride + k)
            .map(|i| (i as f32 * 0.37).sin())
            .collect();
        let rhs: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let mut dst = vec![f32::NAN; m * n + 3];
        matmul::<F>(m, n, k, &mut dst, &lhs, stride, &rhs);
        let want = reference(m, n, k, &lhs, stride, &rhs);
        for (i, (a, b)) in dst.iter().zip(&want).enumerate() {
            let tol = 1e-5 * (k as f32).sqrt() * (1.0 + b.abs());
            assert!(
                (a - b).abs() < tol,
                "m {m} n {n} k {k}: element {i}: {a} vs {b}"
            );
        }
        assert!(dst[m * n..].iter().all(|x| x.is_nan()), "wrote past dst");
    }

    /// Every edge: rows not a multiple of MR or MC, columns not a multiple of NR, k longer
    /// than one KC block and not a multiple of it, overlapping (convolution) rows.
    #[wasm_bindgen_test]
    fn separate_kernel_matches_the_reference() {
        for &(m, n, k, stride) in &[
            (1, 1, 1, 1),
            (7, 5, 12, 3),
            (MR, NR, KC, KC),
            (MC + MR + 1, 3 * NR + 5, 2 * KC + 17, 4),
            (200, 64, 600, 600),
            (13, 384, 20, 4),
        ] {
            check::<Separate>(m, n, k, stride);
        }
    }

    #[cfg(feature = "relaxed-simd")]
    #[wasm_bindgen_test]
    fn fused_kernel_matches_the_reference() {
        for &(m, n, k, stride) in &[(7, 5, 12, 3), (MC + MR + 1, 3 * NR + 5, 2 * KC + 17, 4)] {
            check::<Fused>(m, n, k, stride);
        }
    }
}
