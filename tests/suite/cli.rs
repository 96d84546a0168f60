//! The `camformer` command-line contract.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use camformer::Predictor;
use camformer::input::records::parse_all;

use super::common::{data, fixture};

fn camformer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_camformer"))
}

/// A tiny Mini-family model: its safetensors (as PyTorch wrote it) and architecture JSON.
fn tiny_model(dir: &Path) -> (String, String) {
    let arch = dir.join("tiny_mini.arch.json");
    std::fs::write(
        &arch,
        serde_json::to_string(&fixture("tiny_mini").architecture).unwrap(),
    )
    .unwrap();
    let weights = data("parity/tiny_mini.safetensors");
    (weights.display().to_string(), arch.display().to_string())
}

fn tsv(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

#[test]
fn predict_writes_one_row_per_record_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (weights, arch) = tiny_model(dir.path());
    let input = data("dream_train_irregular.tsv");
    let out = camformer()
        .args([
            "predict",
            "--weights",
            &weights,
            "--arch",
            &arch,
            "--batch-size",
            "7",
        ])
        .arg("--input")
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = tsv(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(
        rows[0],
        ["name", "sequence", "prediction", "measured", "note"]
    );

    let text = std::fs::read_to_string(&input).unwrap();
    let (good, bad) = parse_all(&text);
    assert_eq!(rows.len() - 1, good.len() + bad.len());
    let predictor = Predictor::from_weights(
        fixture("tiny_mini").architecture,
        &std::fs::read(&weights).unwrap(),
        burn::tensor::Device::flex(),
    )
    .unwrap();
    let constructs: Vec<_> = good.iter().map(|p| p.construct).collect();
    let expected = predictor.predict(&constructs).unwrap();
    let mut expected = good.iter().zip(expected);
    let stderr = String::from_utf8(out.stderr).unwrap();
    for row in &rows[1..] {
        if row[2] == "NA" {
            assert!(row[4].starts_with("error: "), "{row:?}");
            assert!(
                stderr.contains(&format!("'{}'", row[0])),
                "rejection reported: {row:?}"
            );
            continue;
        }
        let (p, value) = expected.next().unwrap();
        assert_eq!(row[0], p.record.name);
        assert_eq!(row[1], p.construct.as_str());
        let got: f32 = row[2].parse().unwrap();
        assert!((got - value).abs() < 1e-5, "{got} vs {value}");
        assert_eq!(row[3].parse::<f64>().ok(), p.record.value);
    }
    assert!(expected.next().is_none());
    assert!(
        stderr.contains(&format!("{} predicted, {} rejected", good.len(), bad.len())),
        "{stderr}"
    );
}

#[test]
fn predict_reads_stdin_and_strict_flags_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let (weights, arch) = tiny_model(dir.path());
    let mut child = camformer()
        .args([
            "predict",
            "--weights",
            &weights,
            "--arch",
            &arch,
            "--input",
            "-",
            "--output",
            "-",
            "--strict",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let region = "ACGT".repeat(20);
    write!(child.stdin.take().unwrap(), ">r1\n{region}\n>r2\nACGTX\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let rows = tsv(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows[0], ["name", "sequence", "prediction", "note"]);
    assert_eq!(rows[1][0], "r1");
    assert!(rows[1][3].contains("flanks added"));
    assert_eq!(rows[2][2], "NA");
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("record 2 'r2' (line 3): invalid base 'X' at position 5")
    );
}

#[test]
fn ism_writes_every_substitution() {
    let dir = tempfile::tempdir().unwrap();
    let (weights, arch) = tiny_model(dir.path());
    let out_path = dir.path().join("ism.tsv");
    let fasta = dir.path().join("in.fa");
    let seq = fixture("tiny_mini").cases[0].construct.clone();
    std::fs::write(&fasta, format!(">s\n{seq}\n")).unwrap();
    for (flag, positions) in [(None, 80), (Some("--all-positions"), 110)] {
        let mut cmd = camformer();
        cmd.args(["ism", "--weights", &weights, "--arch", &arch])
            .arg("--input")
            .arg(&fasta)
            .arg("--output")
            .arg(&out_path);
        if let Some(f) = flag {
            cmd.arg(f);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows = tsv(&std::fs::read_to_string(&out_path).unwrap());
        assert_eq!(rows[0], ["name", "position", "ref", "alt", "delta"]);
        assert_eq!(rows.len() - 1, positions * 3);
        let first: usize = rows[1][1].parse().unwrap();
        assert_eq!(first, if positions == 80 { 18 } else { 1 });
        for row in &rows[1..] {
            let pos: usize = row[1].parse().unwrap();
            assert_eq!(row[2], &seq[pos - 1..pos]);
            assert_ne!(row[2], row[3]);
        }
    }
}

/// Per-sequence commands say which records they padded or truncated and count them, as
/// `predict` does in its note column: nothing is changed silently.
#[test]
fn per_sequence_commands_report_adjusted_and_rejected_records() {
    let dir = tempfile::tempdir().unwrap();
    let (weights, arch) = tiny_model(dir.path());
    let seq = fixture("tiny_mini").cases[0].construct.clone();
    let fasta = dir.path().join("in.fa");
    std::fs::write(
        &fasta,
        format!(">whole\n{seq}\n>short\n{}\n>bad\nACGTXACGT\n", &seq[..108]),
    )
    .unwrap();
    for command in ["ism", "robustness"] {
        let out = camformer()
            .args([command, "--weights", &weights, "--arch", &arch, "--input"])
            .arg(&fasta)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{command}: {stderr}");
        assert!(
            stderr.contains("adjusted: record 2 'short'"),
            "{command}: {stderr}"
        );
        assert!(stderr.contains("rejected: record 3"), "{command}: {stderr}");
        assert!(
            stderr.contains("2 predicted, 1 rejected, 1 adjusted"),
            "{command}: {stderr}"
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let names: std::collections::BTreeSet<&str> = tsv_names(&stdout).into_iter().collect();
        assert_eq!(names, ["short", "whole"].into(), "{command}");
    }
    // design has its own output loop (trajectories, exit 3 on a rejected record) but reports
    // the same records with the same messages.
    let out = camformer()
        .args(["design", "--weights", &weights, "--arch", &arch])
        .args(["--max-edits", "1", "--input"])
        .arg(&fasta)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "design: {stderr}");
    assert!(
        stderr.contains("adjusted: record 2 'short'"),
        "design: {stderr}"
    );
    assert!(stderr.contains("rejected: record 3"), "design: {stderr}");
}

fn tsv_names(text: &str) -> Vec<&str> {
    text.lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap())
        .collect()
}

#[test]
fn without_weights_the_shipped_model_predicts_and_a_missing_file_is_named() {
    let out = camformer()
        .args(["predict", "--input", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b">r1\nACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let row: Vec<&str> = stdout.lines().nth(1).unwrap().split('\t').collect();
    assert_eq!(row[0], "r1");
    assert!(row[2].parse::<f32>().unwrap().is_finite());

    let out = camformer()
        .args(["predict", "--weights", "no/such/model", "--input", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("no/such/model"), "{stderr}");
}

/// Runs `camformer` with `stdin` as standard input; returns (exit code, stdout, stderr).
fn run_with_stdin(args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    let mut child = camformer()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    write!(child.stdin.take().unwrap(), "{stdin}").unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn predict_reads_a_csv_with_a_header_and_missing_values() {
    let dir = tempfile::tempdir().unwrap();
    let (weights, arch) = tiny_model(dir.path());
    let region = "ACGT".repeat(20);
    let csv = format!("name,sequence,expression\np1,{region},1.5\np2,{region},NA\n");
    let args = [
        "predict",
        "--weights",
        &weights,
        "--arch",
        &arch,
        "--input",
        "-",
    ];
    let (code, stdout, stderr) = run_with_stdin(&args, &csv);
    assert_eq!(code, Some(0), "{stderr}");
    let rows = tsv(&stdout);
    assert_eq!(
        rows[0],
        ["name", "sequence", "prediction", "measured", "note"]
    );
    assert_eq!((rows[1][0].as_str(), rows[1][3].as_str()), ("p1", "1.5"));
    assert_eq!((rows[2][0].as_str(), rows[2][3].as_str()), ("p2", ""));
    assert_eq!(rows.len(), 3);
}

#[test]
fn variants_report_every_bad_line_and_evaluate_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (weights, arch) = tiny_model(dir.path());
    let region = "ACGT".repeat(20);
    // Line 1: construct 18 = r1 'A'; line 2: wrong reference base; line 3: a flank edit
    // (construct 1 is the 5' flank's 'T'); line 4: not a variant.
    let variants = "18 A G\nr2 A T\n1 T A\nnonsense\n";
    let args = [
        "variants",
        "--weights",
        &weights,
        "--arch",
        &arch,
        "--reference",
        &region,
        "--variants",
        "-",
    ];
    let (code, stdout, stderr) = run_with_stdin(&args, variants);
    assert_eq!(code, Some(3), "{stderr}");
    let rows = tsv(&stdout);
    assert_eq!(rows[0].last().unwrap(), "note");
    let lines: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ("1", "18A>G"),
            ("2", "r2 A T"),
            ("3", "1T>A"),
            ("4", "nonsense")
        ]
    );
    assert_eq!(rows[1][5], "");
    assert_eq!(
        rows[2][5],
        "error: the reference has 'C' at position 19 (region 2), not 'A'"
    );
    assert_eq!(rows[3][5], "flank edit");
    assert!(stderr.contains("position 19 (region 2)"), "{stderr}");
    assert!(
        stderr.contains("2 variants evaluated, 2 lines rejected"),
        "{stderr}"
    );
}
