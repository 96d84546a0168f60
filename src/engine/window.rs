//! The window arithmetic of fast in-silico mutagenesis, shared by both engines.
//!
//! A single-base substitution changes a convolution's output only in a window around it, and
//! a max pool maps a window onto the pooled positions it touches. Both fast ISM
//! implementations (in Burn tensor operations, and on the CPU network's host buffers) carry
//! one window per mutant through the layers with these functions, so the two cannot disagree
//! about which positions a mutation can change. (This module names neither: both use it.)

/// Where the window lands after a convolution of width `kernel` with `before` zeros of
/// padding, producing `out_len` positions: start per mutant and the common width.
pub(crate) fn conv_window(
    starts: &[usize],
    width: usize,
    kernel: usize,
    before: usize,
    out_len: usize,
) -> (Vec<usize>, usize) {
    let out_width = (width + kernel - 1).min(out_len);
    let starts = starts
        .iter()
        .map(|&s| {
            // First output whose receptive field reaches position s.
            let first = (s + before) as i64 - (kernel as i64 - 1);
            first.clamp(0, (out_len - out_width) as i64) as usize
        })
        .collect();
    (starts, out_width)
}

/// Where the window lands after a max pool (`kernel`, `stride`) producing `out_len` positions.
pub(crate) fn pool_window(
    starts: &[usize],
    width: usize,
    kernel: usize,
    stride: usize,
    out_len: usize,
) -> (Vec<usize>, usize) {
    // Pool outputs i whose input range [i*stride, i*stride + kernel) meets [s, s + width).
    let range = |s: usize| {
        let first = (s + 1).saturating_sub(kernel).div_ceil(stride);
        let last = ((s + width - 1) / stride).min(out_len - 1);
        (first, last)
    };
    let out_width = starts
        .iter()
        .map(|&s| {
            let (a, b) = range(s);
            b + 1 - a
        })
        .max()
        .unwrap_or(1)
        .min(out_len);
    let starts = starts
        .iter()
        .map(|&s| range(s).0.min(out_len - out_width))
        .collect();
    (starts, out_width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conv_window_covers_every_affected_output() {
        // Kernel 5, padding 5 each side, length 110 -> 116 outputs.
        for s in 0..110 {
            let (starts, w) = conv_window(&[s], 1, 5, 5, 116);
            assert_eq!(w, 5);
            // Output j reads padded input [j, j + 5), i.e. positions j - 5 .. j - 1.
            for j in 0..116usize {
                let reads = (j as i64 - 5..j as i64).contains(&(s as i64));
                let inside = j >= starts[0] && j < starts[0] + w;
                assert!(!reads || inside, "s {s} j {j}");
            }
        }
    }

    #[test]
    fn pool_window_covers_every_affected_output() {
        for s in 0..120 {
            for width in [1, 5, 12] {
                if s + width > 132 {
                    continue;
                }
                let (starts, w) = pool_window(&[s], width, 7, 2, 63);
                for i in 0..63usize {
                    let touches = i * 2 < s + width && s < i * 2 + 7;
                    let inside = i >= starts[0] && i < starts[0] + w;
                    assert!(!touches || inside, "s {s} width {width} i {i}");
                }
            }
        }
    }
}
