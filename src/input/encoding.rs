//! Numeric encodings of a construct, as the published models were trained.

use serde::{Deserialize, Serialize};

use crate::input::sequence::{CONSTRUCT_LEN, Construct};

/// How each base becomes a column of the input tensor `[N, channels, 110]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// Four channels A, C, G, T; `N` is all zeros (Camformer Original).
    OneHot,
    /// One-hot plus a purine flag: A=(1,0,0,0,1), C=(0,1,0,0,0), G=(0,0,1,0,1), T=(0,0,0,1,0),
    /// N=(.25,.25,.25,.25,.5) (Camformer Mini).
    OneHotPurine,
}

impl Encoding {
    /// Number of input channels.
    pub fn channels(self) -> usize {
        match self {
            Encoding::OneHot => 4,
            Encoding::OneHotPurine => 5,
        }
    }

    /// The column for one base (`ACGTN`, upper case).
    pub fn column(self, base: u8) -> &'static [f32] {
        const ONE_HOT: [[f32; 4]; 5] = [
            [1., 0., 0., 0.],
            [0., 1., 0., 0.],
            [0., 0., 1., 0.],
            [0., 0., 0., 1.],
            [0., 0., 0., 0.],
        ];
        const PURINE: [[f32; 5]; 5] = [
            [1., 0., 0., 0., 1.],
            [0., 1., 0., 0., 0.],
            [0., 0., 1., 0., 1.],
            [0., 0., 0., 1., 0.],
            [0.25, 0.25, 0.25, 0.25, 0.5],
        ];
        let row = match base {
            b'A' => 0,
            b'C' => 1,
            b'G' => 2,
            b'T' => 3,
            b'N' => 4,
            other => panic!("not a construct base: {:?}", other as char),
        };
        match self {
            Encoding::OneHot => &ONE_HOT[row],
            Encoding::OneHotPurine => &PURINE[row],
        }
    }

    /// Appends the channel-major encoding (`[channels, 110]`) of one construct to `out`.
    pub fn encode_into(self, construct: &Construct, out: &mut Vec<f32>) {
        let channels = self.channels();
        let start = out.len();
        out.resize(start + channels * CONSTRUCT_LEN, 0.0);
        let block = &mut out[start..];
        for (pos, &base) in construct.bases().iter().enumerate() {
            for (ch, &v) in self.column(base).iter().enumerate() {
                block[ch * CONSTRUCT_LEN + pos] = v;
            }
        }
    }

    /// The encoding of a batch as one row-major `[n, channels, 110]` buffer.
    pub fn encode_batch<'a>(self, constructs: impl IntoIterator<Item = &'a Construct>) -> Vec<f32> {
        let mut out = Vec::new();
        for c in constructs {
            self.encode_into(c, &mut out);
        }
        out
    }
}
