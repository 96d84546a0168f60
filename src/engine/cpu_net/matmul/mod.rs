//! The one matrix product the CPU network needs: natively a safe wrapper around `gemm`; in
//! WebAssembly our own packed kernel ([`wasm`]), with or without relaxed SIMD's fused
//! multiply-add.

#[cfg(target_family = "wasm")]
mod wasm;

/// How many threads one product may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parallelism {
    /// The calling thread only (the caller parallelises over chunks of sequences).
    None,
    /// Every rayon thread (natively; in wasm, the one thread there is).
    #[cfg(not(target_family = "wasm"))]
    All,
}

impl Parallelism {
    /// Every thread there is.
    pub(crate) fn all() -> Self {
        #[cfg(not(target_family = "wasm"))]
        return Parallelism::All;
        #[cfg(target_family = "wasm")]
        return Parallelism::None;
    }

    fn to_gemm(self) -> gemm::Parallelism {
        match self {
            Parallelism::None => gemm::Parallelism::None,
            #[cfg(not(target_family = "wasm"))]
            Parallelism::All => gemm::Parallelism::Rayon(0),
        }
    }
}

/// `dst = lhs * rhs` for `dst` `[m, n]` and `rhs` `[k, n]` row-major, where row `i` of `lhs`
/// is the `k` floats starting at `lhs[i * lhs_row_stride]`. The rows may overlap
/// (`lhs_row_stride < k`): that is how a convolution reads its windows without im2col.
///
/// Panics if a slice is too short for the shapes.
#[allow(clippy::too_many_arguments)] // a GEMM's shape, operands and strides
pub(crate) fn matmul(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    lhs: &[f32],
    lhs_row_stride: usize,
    rhs: &[f32],
    par: Parallelism,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(dst.len() >= m * n, "dst: {} < {m} x {n}", dst.len());
    assert!(
        lhs.len() >= (m - 1) * lhs_row_stride + k,
        "lhs: {} floats for {m} rows of {k} every {lhs_row_stride}",
        lhs.len()
    );
    assert!(rhs.len() >= k * n, "rhs: {} < {k} x {n}", rhs.len());
    if k == 0 {
        dst[..m * n].fill(0.0);
        return;
    }
    #[cfg(target_family = "wasm")]
    {
        let _ = par; // one thread in wasm
        wasm::matmul::<wasm::Built>(m, n, k, dst, lhs, lhs_row_stride, rhs);
    }
    #[cfg(not(target_family = "wasm"))]
    // SAFETY: the assertions above keep every element gemm reads or writes inside the three
    // slices (dst: rows of n with stride n; lhs: m rows of k with stride lhs_row_stride; rhs: k
    // rows of n). gemm only reads lhs and rhs, so overlapping lhs rows are fine, and dst is a
    // unique borrow, so it aliases neither operand. With `read_dst = false` gemm writes
    // `beta * lhs * rhs` without reading dst (alpha is ignored).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs.as_ptr(),
            1,
            lhs_row_stride as isize,
            rhs.as_ptr(),
            1,
            n as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            par.to_gemm(),
        );
    }
}

/// A matrix operand read with arbitrary strides: element `(i, j)` is `data[i * rs + j * cs]`.
/// Transposes and overlapping convolution windows are views, not copies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Strided<'a> {
    /// The floats the view reads.
    pub data: &'a [f32],
    /// Distance between rows.
    pub rs: usize,
    /// Distance between columns.
    pub cs: usize,
}

impl<'a> Strided<'a> {
    /// A view of `data` with row stride `rs` and column stride `cs`.
    pub(crate) fn new(data: &'a [f32], rs: usize, cs: usize) -> Self {
        Strided { data, rs, cs }
    }

    /// Panics unless a `rows x cols` view fits in the slice.
    fn check(&self, rows: usize, cols: usize, what: &str) {
        let last = (rows - 1) * self.rs + (cols - 1) * self.cs;
        assert!(
            last < self.data.len(),
            "{what}: {} floats for {rows} x {cols} with strides ({}, {})",
            self.data.len(),
            self.rs,
            self.cs
        );
    }
}

/// `dst (+)= lhs * rhs` for `lhs` `[m, k]` and `rhs` `[k, n]` strided views and `dst` `[m, n]`
/// with row stride `dst_rs` (columns contiguous). With `accumulate` the product is added to
/// `dst`; otherwise `dst` is overwritten. The training backward uses it for products with
/// transposed operands (weight gradients: windows^T x output gradient).
///
/// Panics if a view does not fit its slice or `dst` rows would overlap.
#[allow(clippy::too_many_arguments)] // a GEMM's shape, operands and strides
pub(crate) fn matmul_strided(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    dst_rs: usize,
    lhs: Strided<'_>,
    rhs: Strided<'_>,
    accumulate: bool,
    par: Parallelism,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(dst_rs >= n, "dst rows of {n} every {dst_rs} would overlap");
    assert!(
        dst.len() >= (m - 1) * dst_rs + n,
        "dst: {} < {m} rows of {n} every {dst_rs}",
        dst.len()
    );
    if k == 0 {
        if !accumulate {
            for row in 0..m {
                dst[row * dst_rs..row * dst_rs + n].fill(0.0);
            }
        }
        return;
    }
    lhs.check(m, k, "lhs");
    rhs.check(k, n, "rhs");
    // SAFETY: the checks above keep every element gemm reads (lhs: m x k, rhs: k x n at their
    // strides) or writes (dst: m rows of n at stride dst_rs >= n, so no two elements alias)
    // inside the slices. dst is a unique borrow, so it aliases neither operand. With
    // `read_dst` gemm computes `alpha * dst + beta * lhs * rhs`; without, `beta * lhs * rhs`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_rs as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.cs as isize,
            lhs.rs as isize,
            rhs.data.as_ptr(),
            rhs.cs as isize,
            rhs.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            par.to_gemm(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The product computed the obvious way, in f64 (the wasm kernel's tests use it too).
    pub(super) fn reference(
        m: usize,
        n: usize,
        k: usize,
        lhs: &[f32],
        stride: usize,
        rhs: &[f32],
    ) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let sum: f64 = (0..k)
                    .map(|t| lhs[i * stride + t] as f64 * rhs[t * n + j] as f64)
                    .sum();
                out[i * n + j] = sum as f32;
            }
        }
        out
    }

    #[test]
    fn overlapping_rows_give_a_convolution() {
        // 7 rows of k = 12 every 3 floats: a width-4 window over 3 channels.
        let (m, n, k, stride) = (7, 5, 12, 3);
        let lhs: Vec<f32> = (0..(m - 1) * stride + k)
            .map(|i| (i as f32 * 0.37).sin())
            .collect();
        let rhs: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let mut dst = vec![f32::NAN; m * n];
        matmul(m, n, k, &mut dst, &lhs, stride, &rhs, Parallelism::None);
        let want = reference(m, n, k, &lhs, stride, &rhs);
        for (a, b) in dst.iter().zip(&want) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn all_threads_agree_with_one() {
        let (m, n, k) = (300, 64, 200);
        let lhs: Vec<f32> = (0..m * k)
            .map(|i| ((i % 97) as f32 - 48.0) / 50.0)
            .collect();
        let rhs: Vec<f32> = (0..k * n)
            .map(|i| ((i % 89) as f32 - 44.0) / 40.0)
            .collect();
        let mut one = vec![0.0; m * n];
        let mut all = vec![0.0; m * n];
        matmul(m, n, k, &mut one, &lhs, k, &rhs, Parallelism::None);
        matmul(m, n, k, &mut all, &lhs, k, &rhs, Parallelism::all());
        let want = reference(m, n, k, &lhs, k, &rhs);
        for ((a, b), w) in one.iter().zip(&all).zip(&want) {
            assert!((a - w).abs() < 1e-4 && (b - w).abs() < 1e-4);
        }
    }

    #[test]
    #[should_panic(expected = "lhs")]
    fn short_operand_is_refused() {
        let mut dst = vec![0.0; 4];
        matmul(
            2,
            2,
            4,
            &mut dst,
            &[0.0; 5],
            2,
            &[0.0; 8],
            Parallelism::None,
        );
    }

    #[test]
    fn strided_views_give_transposed_products() {
        // dst (3 x 4, row stride 6) = lhs^T (lhs stored 5 x 3) * rhs^T (rhs stored 4 x 5).
        let (m, n, k) = (3, 4, 5);
        let lhs: Vec<f32> = (0..k * m).map(|i| (i as f32 * 0.3).sin()).collect();
        let rhs: Vec<f32> = (0..n * k).map(|i| (i as f32 * 0.7).cos()).collect();
        let mut dst = vec![1.0; 2 * 6 + 4];
        let want =
            |i: usize, j: usize| -> f32 { (0..k).map(|t| lhs[t * m + i] * rhs[j * k + t]).sum() };
        for accumulate in [false, true] {
            matmul_strided(
                m,
                n,
                k,
                &mut dst,
                6,
                Strided::new(&lhs, 1, m),
                Strided::new(&rhs, 1, k),
                accumulate,
                Parallelism::None,
            );
        }
        for i in 0..m {
            for j in 0..n {
                // Written once, then the same product added.
                assert!((dst[i * 6 + j] - 2.0 * want(i, j)).abs() < 1e-5);
            }
        }
        // Between the rows: untouched.
        assert_eq!(dst[4], 1.0);
    }
}
