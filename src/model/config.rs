//! Architecture configuration for the Camformer family.
//!
//! Both published variants, Original and Mini, are instances of one description: a stack of
//! convolution blocks (conv -> batch norm -> ReLU -> optional max pool -> dropout), optionally
//! joined in residual pairs, followed by a dense head. New members of the family are new
//! configurations, not new code; the configuration is serialised into each model's manifest.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::input::encoding::Encoding;
use crate::input::sequence::CONSTRUCT_LEN;

/// Most explicit zero padding on either side of a convolution: the construct's length (more
/// only adds windows of zeros). See [`ArchConfig::validate`].
pub const MAX_PADDING: usize = CONSTRUCT_LEN;

/// Padding of a convolution along the sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// PyTorch's `padding="same"`: output length equals input length; for an even kernel the
    /// extra padding goes after the sequence (kernel 10: 4 before, 5 after).
    Same,
    /// Explicit zero padding before and after the sequence.
    Explicit {
        /// Positions of zeros added before the sequence.
        before: usize,
        /// Positions of zeros added after the sequence.
        after: usize,
    },
}

impl Padding {
    /// `(before, after)` zero padding for a convolution of width `kernel`.
    pub fn amounts(self, kernel: usize) -> (usize, usize) {
        match self {
            Padding::Same => {
                // Saturating: a kernel of 0 is refused by `ArchConfig::validate`, not here.
                let total = kernel.saturating_sub(1);
                (total / 2, total - total / 2)
            }
            Padding::Explicit { before, after } => (before, after),
        }
    }
}

/// A max pooling along the sequence (no padding, floor mode, as PyTorch's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    /// Window width.
    pub kernel: usize,
    /// Step between windows.
    pub stride: usize,
}

/// One convolution block: conv -> batch norm -> ReLU -> optional max pool -> dropout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockConfig {
    /// Output channels of the convolution.
    pub channels: usize,
    /// Kernel width of the convolution.
    pub kernel: usize,
    /// Zero padding of the convolution.
    pub padding: Padding,
    /// Max pooling after the activation, if any.
    pub pool: Option<Pool>,
    /// Dropout probability after the block (training only).
    pub dropout: f64,
}

impl BlockConfig {
    /// Length of this block's output for an input of `len` positions, or `None` if the input is
    /// too short for the kernel or the pool.
    pub fn output_len(&self, len: usize) -> Option<usize> {
        let (before, after) = self.padding.amounts(self.kernel);
        let conv = len
            .checked_add(before)?
            .checked_add(after)?
            .checked_sub(self.kernel)?
            + 1;
        match self.pool {
            None => Some(conv),
            Some(pool) => Some(conv.checked_sub(pool.kernel)? / pool.stride + 1),
        }
    }
}

/// The whole architecture of one Camformer model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchConfig {
    /// Short name (`"original"`, `"mini"`, or a user's own).
    pub name: String,
    /// How a 110-bp sequence becomes the input tensor.
    pub encoding: Encoding,
    /// Convolution blocks, in order.
    pub blocks: Vec<BlockConfig>,
    /// Join blocks in residual pairs: for `i` in `0, 2, 4, ...`,
    /// `x = B_i(x); s = x; x = B_{i+1}(x); x = x + s` (no activation after the add).
    pub residual_pairs: bool,
    /// Widths of the hidden dense layers (each followed by ReLU and dropout); a final layer
    /// maps to the single output.
    pub head: Vec<usize>,
    /// Dropout probability after each hidden dense layer (training only).
    pub head_dropout: f64,
}

impl ArchConfig {
    /// Camformer Original: 16,611,073 parameters.
    pub fn original() -> Self {
        // Dropout as the authors' `large_camformer.py`: 0.3 after every block, none in the head.
        let same = |pool| BlockConfig {
            channels: 512,
            kernel: 10,
            padding: Padding::Same,
            pool,
            dropout: 0.3,
        };
        let mut blocks: Vec<BlockConfig> = (0..6).map(|_| same(None)).collect();
        blocks[4].pool = Some(Pool {
            kernel: 10,
            stride: 4,
        });
        ArchConfig {
            name: "original".into(),
            encoding: Encoding::OneHot,
            blocks,
            residual_pairs: true,
            head: vec![256, 256],
            head_dropout: 0.0,
        }
    }

    /// Camformer Mini: 1,446,721 parameters.
    pub fn mini() -> Self {
        let channels = [384, 256, 128, 64, 128, 192];
        let kernels = [5, 6, 6, 5, 5, 4];
        // Dropout as the authors' `base_camformer.py`: rising from 0.156 to 0.344, none in the head.
        let dropouts = [0.156, 0.194, 0.231, 0.269, 0.306, 0.344];
        let blocks = channels
            .iter()
            .zip(kernels)
            .zip(dropouts)
            .enumerate()
            .map(|(i, ((&channels, kernel), dropout))| BlockConfig {
                channels,
                kernel,
                padding: Padding::Explicit {
                    before: 5,
                    after: 5,
                },
                pool: (i == 3).then_some(Pool {
                    kernel: 7,
                    stride: 2,
                }),
                dropout,
            })
            .collect();
        ArchConfig {
            name: "mini".into(),
            encoding: Encoding::OneHotPurine,
            blocks,
            residual_pairs: false,
            head: vec![32],
            head_dropout: 0.0,
        }
    }

    /// A built-in configuration by name (`original` or `mini`).
    pub fn preset(name: &str) -> Result<Self, Error> {
        match name.to_ascii_lowercase().as_str() {
            "original" => Ok(Self::original()),
            "mini" => Ok(Self::mini()),
            other => Err(Error::Config(format!(
                "unknown architecture '{other}': expected 'original', 'mini' or a JSON config file"
            ))),
        }
    }

    /// Sequence length after each block, starting from the 110-bp input.
    pub fn lengths(&self) -> Result<Vec<usize>, Error> {
        let mut len = CONSTRUCT_LEN;
        let mut out = Vec::with_capacity(self.blocks.len());
        for (i, block) in self.blocks.iter().enumerate() {
            len = block.output_len(len).ok_or_else(|| {
                Error::Config(format!(
                    "block {i}: input of length {len} is too short for kernel {} / pool {:?}",
                    block.kernel, block.pool
                ))
            })?;
            out.push(len);
        }
        Ok(out)
    }

    /// Number of inputs of the first dense layer (channels x length of the last block).
    pub fn flat_features(&self) -> Result<usize, Error> {
        let last = self
            .blocks
            .last()
            .ok_or_else(|| Error::Config("an architecture needs at least one block".into()))?;
        let len = self.lengths()?.last().copied().unwrap_or(0);
        last.channels
            .checked_mul(len)
            .ok_or_else(|| Error::Config(format!("{} x {len} features overflow", last.channels)))
    }

    /// Checks that the configuration describes a buildable network.
    pub fn validate(&self) -> Result<(), Error> {
        // Zero sizes are refused before any arithmetic on them: Burn panics on a layer of 0
        // channels, a pool of stride 0 divides by zero, and zero sizes let empty weight
        // tensors stand for a network. Explicit padding is bounded because it is the one size
        // no weight backs: it would let a tiny file ask for activations of any length. (Found
        // by the property tests, tests/suite/fuzz/weights.rs.)
        for (i, b) in self.blocks.iter().enumerate() {
            let bad = |what: String| Err(Error::Config(format!("block {i}: {what}")));
            if b.channels == 0 || b.kernel == 0 {
                return bad(format!(
                    "{} channels, kernel {}: both must be >= 1",
                    b.channels, b.kernel
                ));
            }
            if let Some(p) = b.pool
                && (p.kernel == 0 || p.stride == 0)
            {
                return bad(format!(
                    "pool kernel {}, stride {}: both must be >= 1",
                    p.kernel, p.stride
                ));
            }
            if let Padding::Explicit { before, after } = b.padding
                && before.max(after) > MAX_PADDING
            {
                return bad(format!(
                    "padding {before}/{after}: at most {MAX_PADDING} on each side"
                ));
            }
        }
        if let Some(j) = self.head.iter().position(|&w| w == 0) {
            return Err(Error::Config(format!("dense layer {j} has width 0")));
        }
        self.flat_features()?;
        self.parameter_count()?;
        if self.residual_pairs {
            if !self.blocks.len().is_multiple_of(2) {
                return Err(Error::Config(
                    "residual pairs need an even number of blocks".into(),
                ));
            }
            let lens = self.lengths()?;
            for pair in 0..self.blocks.len() / 2 {
                let (a, b) = (2 * pair, 2 * pair + 1);
                if self.blocks[a].channels != self.blocks[b].channels || lens[a] != lens[b] {
                    return Err(Error::Config(format!(
                        "residual pair ({a}, {b}) changes shape: {}x{} -> {}x{}",
                        self.blocks[a].channels, lens[a], self.blocks[b].channels, lens[b]
                    )));
                }
            }
        }
        let dropouts = self
            .blocks
            .iter()
            .enumerate()
            .map(|(i, b)| (format!("blocks[{i}].dropout"), b.dropout));
        for (name, p) in dropouts.chain([("head_dropout".to_string(), self.head_dropout)]) {
            if !(0.0..1.0).contains(&p) {
                return Err(Error::Config(format!("{name} must be in [0, 1), got {p}")));
            }
        }
        Ok(())
    }

    /// Number of trainable parameters (as PyTorch counts them: conv and dense weights and
    /// biases, batch-norm scale and shift; running statistics excluded).
    pub fn parameter_count(&self) -> Result<usize, Error> {
        // Checked: the sizes come from user JSON (see `validate`).
        let overflow = || Error::Config("the parameter count overflows".into());
        let add = |count: usize, n: Option<usize>| n.and_then(|n| count.checked_add(n));
        let mut count = 0usize;
        let mut channels_in = self.encoding.channels();
        for block in &self.blocks {
            let conv = channels_in
                .checked_mul(block.channels)
                .and_then(|n| n.checked_mul(block.kernel))
                .and_then(|n| n.checked_add(block.channels));
            // Conv weight and bias, batch-norm gamma and beta.
            count = add(count, conv)
                .and_then(|c| add(c, block.channels.checked_mul(2)))
                .ok_or_else(overflow)?;
            channels_in = block.channels;
        }
        let mut features = self.flat_features()?;
        for &width in self.head.iter().chain(std::iter::once(&1)) {
            let dense = features
                .checked_mul(width)
                .and_then(|n| n.checked_add(width));
            count = add(count, dense).ok_or_else(overflow)?;
            features = width;
        }
        Ok(count)
    }
}
