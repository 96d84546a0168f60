//! The one matrix product the CPU network needs, as a safe wrapper around `gemm`.

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The product computed the obvious way, in f64.
    fn reference(
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
}
