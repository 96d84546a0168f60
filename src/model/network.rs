//! The Camformer network as a Burn module, built from an [`ArchConfig`].
//!
//! The authors' PyTorch code runs `Conv2d` with `(k, 1)` kernels on `[N, C, 110, 1]`; that is a
//! 1-D convolution along the sequence, which is what this module does on `[N, C, 110]`.

use burn::module::Module;
use burn::nn::PaddingConfig1d;
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::pool::{MaxPool1d, MaxPool1dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};

use crate::error::Error;
use crate::input::encoding::Encoding;
use crate::input::sequence::{CONSTRUCT_LEN, Construct};
use crate::model::config::{ArchConfig, BlockConfig};

/// Batch-norm epsilon of the published models (PyTorch's default).
pub const BATCH_NORM_EPS: f64 = 1e-5;

/// One convolution block: conv -> batch norm -> ReLU -> optional max pool -> dropout.
#[derive(Module, Debug)]
pub struct ConvBlock {
    /// The convolution, weights `[out, in, kernel]`.
    pub conv: Conv1d,
    /// Batch normalisation; `None` once it has been folded into `conv` for inference.
    pub norm: Option<BatchNorm>,
    /// Max pooling after the activation.
    pub pool: Option<MaxPool1d>,
    /// Dropout (active only on an autodiff device in training mode).
    pub dropout: Dropout,
}

impl ConvBlock {
    fn new(cfg: &BlockConfig, channels_in: usize, device: &Device) -> Self {
        let (before, after) = cfg.padding.amounts(cfg.kernel);
        let conv = Conv1dConfig::new(channels_in, cfg.channels, cfg.kernel)
            .with_padding(PaddingConfig1d::Explicit(before, after))
            .init(device);
        let norm = BatchNormConfig::new(cfg.channels)
            .with_epsilon(BATCH_NORM_EPS)
            .init(device);
        let pool = cfg
            .pool
            .map(|p| MaxPool1dConfig::new(p.kernel).with_stride(p.stride).init());
        ConvBlock {
            conv,
            norm: Some(norm),
            pool,
            dropout: DropoutConfig::new(cfg.dropout).init(),
        }
    }

    /// Applies the block to `[N, C_in, L]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let x = self.pre_activation(x);
        self.post_activation(relu(x))
    }

    /// Convolution and batch norm: the block up to (not including) the ReLU.
    pub fn pre_activation(&self, x: Tensor<3>) -> Tensor<3> {
        let x = self.conv.forward(x);
        match &self.norm {
            Some(norm) => norm.forward(x),
            None => x,
        }
    }

    /// Pooling and dropout: the block after the ReLU.
    pub fn post_activation(&self, x: Tensor<3>) -> Tensor<3> {
        let x = match &self.pool {
            Some(pool) => pool.forward(x),
            None => x,
        };
        self.dropout.forward(x)
    }
}

/// A Camformer model of any configuration in the family.
#[derive(Module, Debug)]
pub struct Camformer {
    /// Convolution blocks, in order.
    pub blocks: Vec<ConvBlock>,
    /// Dense layers; the last has one output.
    pub head: Vec<Linear>,
    /// Dropout after each hidden dense layer.
    pub head_dropout: Dropout,
    /// Whether blocks are joined in residual pairs.
    #[module(skip)]
    pub residual_pairs: bool,
}

impl Camformer {
    /// A freshly initialised model (Burn's default initialisers), ready to train.
    pub fn new(config: &ArchConfig, device: &Device) -> Result<Self, Error> {
        config.validate()?;
        let mut channels_in = config.encoding.channels();
        let mut blocks = Vec::with_capacity(config.blocks.len());
        for block in &config.blocks {
            blocks.push(ConvBlock::new(block, channels_in, device));
            channels_in = block.channels;
        }
        let mut features = config.flat_features()?;
        let mut head = Vec::with_capacity(config.head.len() + 1);
        for &width in config.head.iter().chain(std::iter::once(&1)) {
            head.push(LinearConfig::new(features, width).init(device));
            features = width;
        }
        Ok(Camformer {
            blocks,
            head,
            head_dropout: DropoutConfig::new(config.head_dropout).init(),
            residual_pairs: config.residual_pairs,
        })
    }

    /// Predicted expression for a batch of encoded sequences `[N, C, 110]`: `[N, 1]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        self.head_forward(self.features(x))
    }

    /// The output of the last convolution block, `[N, C, L]`.
    pub fn features(&self, x: Tensor<3>) -> Tensor<3> {
        self.features_from(0, x)
    }

    /// Runs blocks `start..` on `x`, the output of block `start - 1` (or the input if 0).
    ///
    /// With residual pairs, `start` must begin a pair (be even).
    pub fn features_from(&self, start: usize, mut x: Tensor<3>) -> Tensor<3> {
        if self.residual_pairs {
            debug_assert!(
                start.is_multiple_of(2),
                "residual models restart at a pair boundary"
            );
            for pair in self.blocks[start..].chunks(2) {
                x = pair[0].forward(x);
                let skip = x.clone();
                x = pair[1].forward(x) + skip;
            }
        } else {
            for block in &self.blocks[start..] {
                x = block.forward(x);
            }
        }
        x
    }

    /// The dense head on the output of the last block.
    pub fn head_forward(&self, features: Tensor<3>) -> Tensor<2> {
        let mut x: Tensor<2> = features.flatten(1, 2);
        let last = self.head.len() - 1;
        for (i, layer) in self.head.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = self.head_dropout.forward(relu(x));
            }
        }
        x
    }
}

/// A batch of constructs as the network's input: `[n, channels, 110]` on `device`, encoded
/// with `encoding` (the architecture's).
pub fn encode_input(encoding: Encoding, constructs: &[Construct], device: &Device) -> Tensor<3> {
    let data = encoding.encode_batch(constructs);
    Tensor::from_data(
        TensorData::new(data, [constructs.len(), encoding.channels(), CONSTRUCT_LEN]),
        device,
    )
}
