//! Container start to exit under one containerd: a hello component in the featherlight shim
//! against a static native hello binary under runc, from images built the same way (`featherlight
//! image build`). A benchmark, not run by default:
//!
//! ```sh
//! cargo test --release -p containerd-shim-featherlight --test bench -- --ignored --nocapture
//! ```

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Containerd, RUNTIME};

/// Runs of each kind after the first.
const RUNS: usize = 10;

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn start_to_exit_against_runc() {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let Some(containerd) = Containerd::start_with_cache("bench", &cache) else { return };
    let wasm = containerd.import_wasi_app();
    let native = containerd.dir().join("hello");
    let source = containerd.dir().join("hello.rs");
    std::fs::write(&source, "fn main() { println!(\"hello from native\"); }\n").expect("write hello.rs");
    let built = Command::new("rustc")
        .args(["-O", "-C", "target-feature=+crt-static", "-o"])
        .arg(&native)
        .arg(&source)
        .status()
        .expect("run rustc");
    assert!(built.success(), "cannot build the static native hello");
    containerd.import(&native, "featherlight.test/native-hello:1", &["--path", "/hello"]);

    let run = |runtime: &str, image: &str, args: &[&str], id: &str| {
        let started = Instant::now();
        let output = containerd.ctr(&[&["run", "--rm", "--runtime", runtime, image, id][..], args].concat());
        let took = started.elapsed();
        assert_eq!(output.status.code(), Some(0), "{}", common::describe(&output));
        assert!(String::from_utf8_lossy(&output.stdout).starts_with("hello from"), "{}", common::describe(&output));
        took
    };
    let featherlight_first = run(RUNTIME, &wasm, &["/app.wasm", "hello"], "fl-first");
    let runc_first = run("io.containerd.runc.v2", "featherlight.test/native-hello:1", &[], "runc-first");
    let mut featherlight = Vec::new();
    let mut runc = Vec::new();
    for i in 0..RUNS {
        featherlight.push(run(RUNTIME, &wasm, &["/app.wasm", "hello"], &format!("fl-{i}")));
        runc.push(run("io.containerd.runc.v2", "featherlight.test/native-hello:1", &[], &format!("runc-{i}")));
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let (featherlight, runc) = (median(&mut featherlight), median(&mut runc));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("container start to exit (ctr run --rm), median of {RUNS}, same containerd:");
    println!("  runc, static native hello:           {:8.1} ms (1.00)", ms(runc));
    println!(
        "  featherlight, hello component:       {:8.1} ms ({:.2}x runc)",
        ms(featherlight),
        ms(featherlight) / ms(runc)
    );
    println!(
        "  first start, featherlight (compile): {:8.1} ms ({:.2}x runc's first, {:.1} ms)",
        ms(featherlight_first),
        ms(featherlight_first) / ms(runc_first),
        ms(runc_first)
    );
    let _ = std::fs::remove_dir_all(&cache);
}
