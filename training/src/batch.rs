//! Host-side batch assembly: the training rows of a step decoded, augmented and encoded into
//! host tensors, on a background thread one step ahead of the training loop.

use burn::tensor::{Device, Tensor, TensorData};
use camformer::ArchConfig;
use camformer::input::sequence::CONSTRUCT_LEN;

use crate::augment::Augmentation;
use crate::data::{Dataset, Rng};

/// The host side of one batch: encoded inputs `[n, channels, 110]` and targets `[n, 1]`.
///
/// Kept apart from the upload so that it can run on another thread while the device computes
/// the previous step (see [`Prefetch`]).
pub struct HostBatch {
    x: TensorData,
    y: TensorData,
}

impl HostBatch {
    /// Encodes the rows `idx` of `data` for `cfg`'s input encoding.
    pub fn new(cfg: &ArchConfig, data: &Dataset, idx: &[usize]) -> Self {
        Self::augmented(cfg, data, idx, None)
    }

    /// As [`HostBatch::new`], each sequence augmented by `augment` (drawing from its generator)
    /// when given.
    pub fn augmented(
        cfg: &ArchConfig,
        data: &Dataset,
        idx: &[usize],
        augment: Option<(&Augmentation, &mut Rng)>,
    ) -> Self {
        let mut constructs: Vec<_> = idx.iter().map(|&i| data.seqs[i].unpack()).collect();
        if let Some((augment, rng)) = augment {
            for c in &mut constructs {
                *c = augment.apply(c, rng);
            }
        }
        let enc = cfg.encoding;
        let x = TensorData::new(
            enc.encode_batch(&constructs),
            [idx.len(), enc.channels(), CONSTRUCT_LEN],
        );
        let y = TensorData::new(
            idx.iter().map(|&i| data.targets[i]).collect::<Vec<_>>(),
            [idx.len(), 1],
        );
        HostBatch { x, y }
    }

    /// Sequences in the batch.
    pub fn len(&self) -> usize {
        self.x.shape()[0]
    }

    /// True for a batch of no sequences.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoded inputs `[n, channels, 110]` and the targets, in host memory.
    pub fn host(&self) -> (&[f32], &[f32]) {
        (
            self.x.as_slice::<f32>().expect("encoded as f32"),
            self.y.as_slice::<f32>().expect("targets as f32"),
        )
    }

    /// Uploads the batch to `device`.
    pub fn upload(self, device: &Device) -> (Tensor<3>, Tensor<2>) {
        (
            Tensor::from_data(self.x, device),
            Tensor::from_data(self.y, device),
        )
    }
}

/// Host batches assembled on a background thread, one step ahead of the training loop, so that
/// decoding and encoding never stall the device (on the GPU the loop would otherwise wait for
/// the host between kernels).
pub struct Prefetch {
    rx: std::sync::mpsc::Receiver<HostBatch>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Prefetch {
    /// Starts assembling the batches `order.chunks(batch_size)` of `data`.
    pub fn new(cfg: &ArchConfig, data: &Dataset, order: Vec<usize>, batch_size: usize) -> Self {
        Self::augmented(cfg, data, order, batch_size, None)
    }

    /// As [`Prefetch::new`], every sequence augmented by `augment` with a generator seeded by
    /// the given seed (so a resumed epoch draws the same augmentations).
    pub fn augmented(
        cfg: &ArchConfig,
        data: &Dataset,
        order: Vec<usize>,
        batch_size: usize,
        augment: Option<(Augmentation, u64)>,
    ) -> Self {
        // A bound of 2: one batch in use, one ready; more would only cost memory.
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        // The thread owns a copy of the packed rows (about 50 bytes each), made once per epoch.
        let (cfg, data) = (cfg.clone(), data.clone());
        let worker = std::thread::spawn(move || {
            let mut augment = augment.map(|(a, seed)| (a, Rng(seed)));
            for idx in order.chunks(batch_size) {
                let aug = augment.as_mut().map(|(a, rng)| (&*a, rng));
                if tx
                    .send(HostBatch::augmented(&cfg, &data, idx, aug))
                    .is_err()
                {
                    return; // the loop stopped early
                }
            }
        });
        Prefetch {
            rx,
            worker: Some(worker),
        }
    }
}

impl Iterator for Prefetch {
    type Item = HostBatch;

    fn next(&mut self) -> Option<HostBatch> {
        let batch = self.rx.recv().ok();
        if batch.is_none()
            && let Some(worker) = self.worker.take()
            && let Err(panic) = worker.join()
        {
            std::panic::resume_unwind(panic);
        }
        batch
    }
}
