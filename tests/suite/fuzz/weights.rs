//! Weights (safetensors), manifests and architectures, and loading a model from them the way
//! the CLI and the browser do: random bytes, the shipped files damaged, headers that lie about
//! shapes and offsets, manifests with wrong values, and generated architectures at the edges
//! (zero channels, zero kernels, zero strides, big paddings). Every one loads or fails with a
//! message; none panics or asks for memory out of proportion to the file.

use std::sync::LazyLock;

use burn::tensor::Device;
use camformer::analysis::attribution::Attributor;
use camformer::input::sequence::prepare;
use camformer::model::default_model;
use camformer::model::weights::{HostTensor, StateDict, StorageDtype};
use camformer::{ArchConfig, Construct, Manifest, Predictor};
use proptest::prelude::*;
use serde_json::Value;

use super::alloc_track::track_allocations;
use super::{apply_byte_edits, apply_edits, byte_edit, config, text_edit};

static TINY_MINI: &[u8] = include_bytes!("../../data/parity/tiny_mini.safetensors");
static TINY_ORIGINAL: &[u8] = include_bytes!("../../data/parity/tiny_original.safetensors");

/// The architectures of the tiny parity fixtures (not presets: given as JSON, as a user would).
static TINY_ARCHS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ["tiny_mini", "tiny_original"]
        .iter()
        .map(|name| {
            let text =
                std::fs::read_to_string(super::super::common::data(&format!("parity/{name}.json")))
                    .unwrap();
            let v: Value = serde_json::from_str(&text).unwrap();
            v["architecture"].to_string()
        })
        .collect()
});

/// A construct to predict.
fn construct() -> Construct {
    prepare(&"ACGT".repeat(20)).unwrap().0
}

/// How much memory loading `len` bytes may ask for at once: the file decoded to f32 (twice an
/// f16 file), with room for small fixed buffers.
fn allocation_bound(len: usize) -> usize {
    4 * len + (64 << 20)
}

/// Loads weights as the browser's `CamformerModel.load` does (a manifest, else an
/// architecture name or JSON config, else detected from the tensor shapes), then as the CLI
/// does from files; predicts and attributes one sequence with whatever loads.
fn load_like_the_apps(weights: &[u8], manifest: Option<&str>, arch: Option<&str>) {
    let device = Device::flex();
    let guard = track_allocations();
    let loaded = match (manifest, arch) {
        (Some(m), _) => Manifest::from_json(m.as_bytes())
            .and_then(|m| Predictor::from_manifest(m, weights, device)),
        (None, Some(a)) => {
            let config = if a.trim_start().starts_with('{') {
                serde_json::from_str::<ArchConfig>(a)
                    .map_err(|e| camformer::Error::Config(e.to_string()))
                    .and_then(|c| c.validate().map(|()| c))
            } else {
                ArchConfig::preset(a)
            };
            config.and_then(|c| Predictor::from_weights(c, weights, device))
        }
        (None, None) => StateDict::from_safetensors(weights).and_then(|state| {
            let config = [ArchConfig::mini(), ArchConfig::original()]
                .into_iter()
                .find(|c| state.fits(c))
                .ok_or_else(|| camformer::Error::Weights("no preset fits".into()))?;
            Predictor::from_weights(config, weights, device)
        }),
    };
    let largest = guard.largest();
    drop(guard);
    assert!(
        largest <= allocation_bound(weights.len() + manifest.map_or(0, str::len)),
        "loading {} bytes asked for {largest} bytes at once",
        weights.len()
    );
    match loaded {
        Ok(p) => {
            let out = p.predict(&[construct()]).expect("a loaded model predicts");
            assert_eq!(out.len(), 1);
            let a = Attributor::from_weights(p.config().clone(), weights, p.device().clone())
                .expect("weights that load for prediction load for attribution");
            drop(a);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                ["weights:", "manifest:", "architecture:"]
                    .iter()
                    .any(|p| msg.starts_with(p)),
                "{msg}"
            );
        }
    }
}

/// Reads safetensors bytes; what it returns holds exactly as many values as its shapes say.
fn read_safetensors(bytes: &[u8]) {
    let guard = track_allocations();
    let read = StateDict::from_safetensors(bytes);
    assert!(guard.largest() <= allocation_bound(bytes.len()));
    drop(guard);
    match read {
        Ok(state) => {
            for name in state.names() {
                let t = state.get(name).unwrap();
                assert_eq!(t.shape.iter().product::<usize>(), t.data.len(), "{name}");
            }
            // Shape checks against the presets only compare; they never build anything.
            for c in [ArchConfig::mini(), ArchConfig::original()] {
                let _ = state.fits(&c);
            }
        }
        Err(e) => assert!(e.to_string().starts_with("weights: "), "{e}"),
    }
}

proptest! {
    #![proptest_config(config(1000))]

    /// Random bytes, and random bytes behind a plausible header length.
    #[test]
    fn arbitrary_bytes_are_not_weights(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            (0u64..600, proptest::collection::vec(any::<u8>(), 0..512)).prop_map(|(n, rest)| {
                let mut v = n.to_le_bytes().to_vec();
                v.extend(rest);
                v
            }),
        ]
    ) {
        read_safetensors(&bytes);
        load_like_the_apps(&bytes, None, None);
    }
}

/// A safetensors header entry, which may lie.
#[derive(Debug, Clone)]
struct LyingTensor {
    name: String,
    dtype: &'static str,
    shape: Vec<u64>,
    offsets: (u64, u64),
}

const DIMS: &[u64] = &[
    0,
    1,
    2,
    3,
    4,
    12,
    1 << 20,
    1 << 31,
    1 << 32,
    1 << 40,
    1 << 62,
    u64::MAX,
];

fn lying_tensor() -> impl Strategy<Value = LyingTensor> {
    let offset = prop_oneof![
        4 => 0u64..64,
        1 => proptest::sample::select(DIMS),
    ];
    (
        prop_oneof![
            "CNN_layers\\.[0-5]\\.[01]\\.(conv\\.)?(weight|bias|running_mean|running_var|num_batches_tracked)",
            "linear_layers\\.[0-2]\\.0\\.(weight|bias)",
            "[a-z_.]{1,10}",
            Just("__metadata__".to_string()),
        ],
        proptest::sample::select(&["F32", "F16", "BF16", "F64", "I64", "U8", "BOOL", "F8_E4M3", "XX"][..]),
        proptest::collection::vec(
            prop_oneof![3 => 0u64..6, 1 => proptest::sample::select(DIMS)],
            0..5,
        ),
        (offset.clone(), offset),
    )
        .prop_map(|(name, dtype, shape, offsets)| LyingTensor {
            name,
            dtype,
            shape,
            offsets,
        })
}

proptest! {
    #![proptest_config(config(1000))]

    /// Headers that claim giant shapes (up to 2^64 - 1 per dimension), offsets past the end,
    /// overlapping or reversed ranges, unknown dtypes, and a header length that lies: an error
    /// or a consistent state dict, never an allocation sized by the claims.
    #[test]
    fn lying_headers_never_allocate_what_they_claim(
        tensors in proptest::collection::vec(lying_tensor(), 0..6),
        data_len in 0usize..256,
        header_len_lie in prop_oneof![
            6 => Just(None),
            1 => proptest::sample::select(DIMS).prop_map(Some),
            1 => (0u64..400).prop_map(Some),
        ],
        garbage_json in prop_oneof![9 => Just(None), 1 => "[ -~]{0,8}".prop_map(Some)],
    ) {
        let mut header = serde_json::Map::new();
        for t in &tensors {
            header.insert(
                t.name.clone(),
                serde_json::json!({
                    "dtype": t.dtype,
                    "shape": t.shape,
                    "data_offsets": [t.offsets.0, t.offsets.1],
                }),
            );
        }
        let mut json = Value::Object(header).to_string();
        if let Some(g) = garbage_json {
            json.insert_str(json.len() / 2, &g);
        }
        let len = header_len_lie.unwrap_or(json.len() as u64);
        let mut bytes = len.to_le_bytes().to_vec();
        bytes.extend_from_slice(json.as_bytes());
        bytes.extend((0..data_len).map(|i| i as u8));
        read_safetensors(&bytes);
        load_like_the_apps(&bytes, None, Some("mini"));
    }
}

/// The shipped default weights.
fn default_weights() -> &'static [u8] {
    default_model::WEIGHTS
}

proptest! {
    #![proptest_config(config(500))]

    /// The tiny parity weights, bit-flipped, overwritten, cut or spliced (mostly in the
    /// header), loaded with their JSON architecture, with a preset name, and detected.
    #[test]
    fn damaged_tiny_weights_load_or_fail(
        which in 0usize..2,
        edits in proptest::collection::vec(byte_edit(2_000), 1..4),
        how in 0usize..3,
    ) {
        let original = [TINY_MINI, TINY_ORIGINAL][which];
        let bytes = apply_byte_edits(original, &edits);
        read_safetensors(&bytes);
        match how {
            0 => load_like_the_apps(&bytes, None, Some(&TINY_ARCHS[which])),
            1 => load_like_the_apps(&bytes, None, Some(["mini", "original"][which])),
            _ => load_like_the_apps(&bytes, None, None),
        }
    }
}

proptest! {
    #![proptest_config(config(100))]

    /// The shipped default model's weights damaged, loaded with and without its manifest (the
    /// manifest's sha256 rejects any change).
    #[test]
    fn damaged_default_weights_load_or_fail(
        edits in proptest::collection::vec(byte_edit(4_000), 1..4),
        with_manifest in any::<bool>(),
    ) {
        let bytes = apply_byte_edits(default_weights(), &edits);
        read_safetensors(&bytes);
        if with_manifest {
            load_like_the_apps(&bytes, Some(default_model::MANIFEST_JSON), None);
        } else {
            load_like_the_apps(&bytes, None, None);
        }
    }
}

/// A value to put in place of a manifest field.
fn json_junk() -> impl Strategy<Value = Value> {
    prop_oneof![
        proptest::sample::select(
            &[
                0i64,
                1,
                2,
                3,
                -1,
                5,
                7,
                110,
                111,
                1 << 20,
                1 << 32,
                1 << 40,
                i64::MAX
            ][..]
        )
        .prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        proptest::sample::select(&[0.5f64, -0.5, 1.0, 1e300, 0.999_999][..]).prop_map(Value::from),
        Just(Value::Null),
        Just(Value::Bool(true)),
        proptest::sample::select(
            &["", "mini", "same", "one_hot", "one_hot_purine", "f16", "x"][..]
        )
        .prop_map(Value::from),
        Just(serde_json::json!({"explicit": {"before": 1_000_000_000u64, "after": 0}})),
        Just(serde_json::json!({"kernel": 2, "stride": 0})),
        Just(serde_json::json!({"kernel": 0, "stride": 1})),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
    ]
}

/// Every path to a leaf or container of a JSON value.
fn paths(v: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(Value::from(k.clone()));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(Value::from(i));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at_path<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match k {
        Value::String(s) => &mut v[s.as_str()],
        Value::Number(i) => &mut v[i.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

/// Sets (or, for `None`, removes) the value at one of the manifest's paths.
#[derive(Debug, Clone)]
struct JsonEdit {
    path: prop::sample::Index,
    value: Option<Value>,
}

fn apply_json_edits(text: &str, edits: &[JsonEdit]) -> String {
    let mut v: Value = serde_json::from_str(text).unwrap();
    for e in edits {
        let mut all = Vec::new();
        paths(&v, &mut Vec::new(), &mut all);
        let path = e.path.get(&all).clone();
        match (&e.value, path.split_last()) {
            (Some(new), _) => *at_path(&mut v, &path) = new.clone(),
            (None, Some((Value::String(k), parent))) => {
                if let Value::Object(m) = at_path(&mut v, parent) {
                    m.remove(k);
                }
            }
            (None, Some((Value::Number(i), parent))) => {
                if let Value::Array(a) = at_path(&mut v, parent) {
                    a.remove(i.as_u64().unwrap() as usize);
                }
            }
            _ => {}
        }
    }
    v.to_string()
}

proptest! {
    #![proptest_config(config(64))]

    /// The shipped manifest with fields replaced (zero, negative, huge and wrong-typed values,
    /// giant paddings, zero strides and kernels) or removed, or its text damaged: a manifest
    /// or an error. Whatever reads is checked against its own architecture, and its
    /// architecture is tried on the shipped weights (as the browser's `arch` argument).
    #[test]
    fn damaged_manifests_read_or_fail(
        json_edits in proptest::collection::vec(
            (any::<prop::sample::Index>(), proptest::option::weighted(0.8, json_junk()))
                .prop_map(|(path, value)| JsonEdit { path, value }),
            0..4,
        ),
        text_edits in proptest::collection::vec(text_edit(), 0..2),
    ) {
        let text = apply_json_edits(default_model::MANIFEST_JSON, &json_edits);
        let text = apply_edits(&text, &text_edits);
        match Manifest::from_json(text.as_bytes()) {
            Ok(m) => {
                m.architecture.validate().expect("a manifest's architecture is valid");
                let _ = m.architecture.parameter_count();
                let _ = m.architecture.lengths();
                let arch = serde_json::to_string(&m.architecture).unwrap();
                load_like_the_apps(default_weights(), Some(&text), None);
                load_like_the_apps(default_weights(), None, Some(&arch));
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with("manifest: ") || msg.starts_with("architecture: "), "{}", msg);
            }
        }
    }
}

proptest! {
    #![proptest_config(config(1000))]

    /// Arbitrary text as a manifest or an architecture.
    #[test]
    fn arbitrary_text_is_not_a_manifest(text in any::<String>()) {
        prop_assert!(Manifest::from_json(text.as_bytes()).is_err());
        load_like_the_apps(TINY_MINI, None, Some(&format!("{{{text}")));
    }
}

/// A generated architecture, described by small numbers that include the edge cases.
#[derive(Debug, Clone)]
struct GenArch {
    purine: bool,
    blocks: Vec<GenBlock>,
    residual: bool,
    head: Vec<usize>,
}

#[derive(Debug, Clone)]
struct GenBlock {
    channels: usize,
    kernel: usize,
    /// `None`: "same".
    padding: Option<(usize, usize)>,
    pool: Option<(usize, usize)>,
}

fn gen_arch() -> impl Strategy<Value = GenArch> {
    let small = || prop_oneof![1 => Just(0usize), 6 => 1usize..5];
    let padding = prop_oneof![
        2 => Just(None),
        3 => (0usize..6, 0usize..6).prop_map(Some),
        1 => (proptest::sample::select(&[111usize, 1_000, 1 << 20, 1 << 40][..]), 0usize..3)
            .prop_map(Some),
    ];
    let pool = proptest::option::weighted(0.3, (small(), small()));
    let block =
        (small(), small(), padding, pool).prop_map(|(channels, kernel, padding, pool)| GenBlock {
            channels,
            kernel,
            padding,
            pool,
        });
    (
        any::<bool>(),
        proptest::collection::vec(block, 0..4),
        any::<bool>(),
        proptest::collection::vec(small(), 0..3),
    )
        .prop_map(|(purine, blocks, residual, head)| GenArch {
            purine,
            blocks,
            residual,
            head,
        })
}

impl GenArch {
    fn json(&self) -> String {
        let blocks: Vec<Value> = self
            .blocks
            .iter()
            .map(|b| {
                serde_json::json!({
                    "channels": b.channels,
                    "kernel": b.kernel,
                    "padding": match b.padding {
                        None => serde_json::json!("same"),
                        Some((before, after)) => serde_json::json!({"explicit": {"before": before, "after": after}}),
                    },
                    "pool": b.pool.map(|(kernel, stride)| serde_json::json!({"kernel": kernel, "stride": stride})),
                    "dropout": 0.1,
                })
            })
            .collect();
        serde_json::json!({
            "name": "generated",
            "encoding": if self.purine { "one_hot_purine" } else { "one_hot" },
            "blocks": blocks,
            "residual_pairs": self.residual,
            "head": self.head,
            "head_dropout": 0.0,
        })
        .to_string()
    }

    /// Tensors of the shapes this architecture needs, computed here from the layer rules
    /// (padding, kernel, pool) with checked arithmetic; `None` where the numbers make no
    /// network (the loader must then refuse the architecture itself).
    fn state_dict(&self) -> Option<StateDict> {
        let mut sd = StateDict::new();
        // Small values, or all ones (a variance).
        let mut tensor = |name: String, shape: Vec<usize>, ones: bool| -> Option<()> {
            let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
            if n > 1 << 22 {
                return None;
            }
            let data = (0..n)
                .map(|i| {
                    if ones {
                        1.0
                    } else {
                        ((i % 7) as f32 - 3.0) * 0.05
                    }
                })
                .collect();
            sd.insert(name, HostTensor::new(shape, data));
            Some(())
        };
        let mut cin = if self.purine { 5 } else { 4 };
        let mut len = 110usize;
        for (i, b) in self.blocks.iter().enumerate() {
            let (before, after) = match b.padding {
                None => {
                    let total = b.kernel.checked_sub(1)?;
                    (total / 2, total - total / 2)
                }
                Some(p) => p,
            };
            len = len
                .checked_add(before)?
                .checked_add(after)?
                .checked_sub(b.kernel)?
                + 1;
            if let Some((k, s)) = b.pool {
                len = len.checked_sub(k)?.checked_div(s)? + 1;
            }
            let c = b.channels;
            tensor(
                format!("CNN_layers.{i}.0.weight"),
                vec![c, cin, b.kernel, 1],
                false,
            )?;
            tensor(format!("CNN_layers.{i}.0.bias"), vec![c], false)?;
            for what in ["weight", "bias", "running_mean", "running_var"] {
                tensor(
                    format!("CNN_layers.{i}.1.{what}"),
                    vec![c],
                    what == "running_var",
                )?;
            }
            cin = c;
        }
        let mut features = cin.checked_mul(len)?;
        for (j, &w) in self.head.iter().chain(std::iter::once(&1)).enumerate() {
            tensor(
                format!("linear_layers.{j}.0.weight"),
                vec![w, features],
                false,
            )?;
            tensor(format!("linear_layers.{j}.0.bias"), vec![w], false)?;
            features = w;
        }
        Some(sd)
    }
}

proptest! {
    #![proptest_config(config(500))]

    /// Generated architectures with weights of exactly the shapes they need: each loads,
    /// predicts and attributes, or is refused with a message. Zero channels, kernels, strides
    /// and widths, and paddings far wider than the sequence, must not get through to the
    /// network (they make empty weight tensors stand for arbitrarily large activations).
    #[test]
    fn generated_architectures_load_or_fail(arch in gen_arch(), f16 in any::<bool>()) {
        let json = arch.json();
        let weights = match arch.state_dict() {
            Some(sd) => sd
                .to_safetensors(if f16 { StorageDtype::F16 } else { StorageDtype::F32 })
                .unwrap(),
            None => TINY_MINI.to_vec(),
        };
        load_like_the_apps(&weights, None, Some(&json));
    }
}

/// The architecture `json` with weights of the shapes it needs.
fn arch_and_weights(arch: &GenArch) -> (String, Vec<u8>) {
    let weights = arch
        .state_dict()
        .expect("shapes")
        .to_safetensors(StorageDtype::F32)
        .unwrap();
    (arch.json(), weights)
}

fn block(
    channels: usize,
    kernel: usize,
    padding: (usize, usize),
    pool: Option<(usize, usize)>,
) -> GenBlock {
    GenBlock {
        channels,
        kernel,
        padding: Some(padding),
        pool,
    }
}

/// Found by `generated_architectures_load_or_fail`: a block of 0 channels (with the empty
/// tensors that fit it) made Burn panic ("num_features must be greater than zero") while
/// loading; a zero kernel or head width slipped through the same way.
#[test]
fn regression_zero_sizes_are_refused() {
    for arch in [
        GenArch {
            purine: false,
            blocks: vec![block(0, 0, (0, 0), None)],
            residual: false,
            head: vec![],
        },
        GenArch {
            purine: true,
            blocks: vec![block(2, 0, (1, 1), None)],
            residual: false,
            head: vec![],
        },
        GenArch {
            purine: true,
            blocks: vec![block(2, 3, (1, 1), None)],
            residual: false,
            head: vec![0],
        },
    ] {
        let (json, weights) = arch_and_weights(&arch);
        let config: ArchConfig = serde_json::from_str(&json).unwrap();
        let e = Predictor::from_weights(config, &weights, Device::flex()).unwrap_err();
        assert!(
            e.to_string().contains("must be >= 1") || e.to_string().contains("width 0"),
            "{e}"
        );
    }
}

/// Found by `damaged_manifests_read_or_fail`: a pool of stride 0 in a manifest divided by zero
/// in `Manifest::from_json` (a panic), instead of an error.
#[test]
fn regression_pool_stride_zero_is_an_error() {
    let mut v: Value = serde_json::from_str(default_model::MANIFEST_JSON).unwrap();
    v["architecture"]["blocks"][3]["pool"]["stride"] = Value::from(0);
    let e = Manifest::from_json(v.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(e.contains("block 3: pool kernel 7, stride 0"), "{e}");
}

/// Padding is the one size no weight backs: 2^30 zeros before a 1-channel convolution, pooled
/// away again by the next block, made a file of a few hundred bytes ask for gigabytes of
/// activations per sequence.
#[test]
fn regression_giant_padding_is_refused() {
    let arch = GenArch {
        purine: false,
        blocks: vec![
            block(1, 1, (1 << 30, 0), None),
            block(1, 1, (0, 0), Some((1 << 30, 1))),
        ],
        residual: false,
        head: vec![],
    };
    let (json, weights) = arch_and_weights(&arch);
    assert!(weights.len() < 4_000, "{}", weights.len());
    let config: ArchConfig = serde_json::from_str(&json).unwrap();
    let e = Predictor::from_weights(config, &weights, Device::flex()).unwrap_err();
    assert!(
        e.to_string().contains("padding 1073741824/0: at most 110"),
        "{e}"
    );
}
