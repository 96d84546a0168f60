//! Per-block timing of a forward pass (development aid): `cargo run --release --example profile_layers -- mini`.
use std::time::Instant;

use burn::tensor::Device;
use camformer::input::records::parse_all;
use camformer::model::weights::StorageDtype;
use camformer::{ArchConfig, Camformer, Predictor};

fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "mini".into());
    let config = ArchConfig::preset(&name).unwrap();
    let device = Device::flex();
    let net = Camformer::new(&config, &device).unwrap();
    let w = net
        .to_state_dict(&config, name == "original")
        .unwrap()
        .to_safetensors(StorageDtype::F32)
        .unwrap();
    let p = Predictor::from_weights(config.clone(), &w, device).unwrap();
    let text = include_str!("../tests/data/dream_test_sample.tsv");
    let seqs: Vec<_> = parse_all(text)
        .0
        .iter()
        .map(|p| p.construct)
        .cycle()
        .take(256)
        .collect();
    for _ in 0..3 {
        let mut x = p.encode(&seqs);
        let _ = x.clone().into_data();
        for (i, b) in p.net().blocks.iter().enumerate() {
            let t = Instant::now();
            let y = b.conv.forward(x.clone());
            let _ = y.clone().into_data();
            let tc = t.elapsed();
            let t = Instant::now();
            let y2 = burn::tensor::activation::relu(y);
            let _ = y2.clone().into_data();
            let tr = t.elapsed();
            let t = Instant::now();
            let y3 = b.post_activation(y2);
            let _ = y3.clone().into_data();
            let tp = t.elapsed();
            println!(
                "block {i}: conv {tc:?} relu {tr:?} pool+drop {tp:?} out {:?}",
                y3.dims()
            );
            x = y3;
        }
        let t = Instant::now();
        let _ = p.net().head_forward(x).into_data();
        println!("head {:?}", t.elapsed());
    }
}
