//! The `kv-store` example runs to the end on real KVM and prints what its
//! typed calls returned.

#[test]
fn kv_store_example_runs() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kv-store")).output().expect("run the example");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    for line in [
        // The world-level `log` import reached the host.
        "  plugin: PUT /greeting",
        "GET /greeting -> 200 hello",
        "PUT /c -> 507 the store is full",
        "PUT / -> 400 invalid key",
        "the host's store holds 2 entries",
        "(typed: Some(Unavailable))",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
}
