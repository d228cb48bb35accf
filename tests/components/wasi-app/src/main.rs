//! A WASI command exercising Rust std on `wasm32-wasip2`. The first argument
//! picks a scenario; the tests compare featherlight's output with wasmtime's.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::{Read, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod fs_script;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str).unwrap_or("") {
        "hello" => {
            println!("hello from wasm32-wasip2");
            eprintln!("and hello to stderr");
        }
        "args" => {
            for (i, arg) in args.iter().enumerate() {
                println!("arg {i}: {arg}");
            }
        }
        "env" => {
            let mut vars: Vec<(String, String)> = std::env::vars().collect();
            vars.sort();
            for (key, value) in vars {
                println!("{key}={value}");
            }
        }
        "time" => {
            let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).expect("time after the epoch");
            // Late 2020s: a real clock, not zero.
            println!("wall clock plausible: {}", since_epoch > Duration::from_secs(1_600_000_000));
            let start = Instant::now();
            let mut previous = start;
            let mut monotonic = true;
            for _ in 0..1000 {
                let now = Instant::now();
                monotonic &= now >= previous;
                previous = now;
            }
            println!("monotonic: {monotonic}");
            std::thread::sleep(Duration::from_millis(20));
            println!("slept at least 20 ms: {}", start.elapsed() >= Duration::from_millis(20));
        }
        "print-time" => {
            let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).expect("time after the epoch");
            println!("{}.{:09}", since_epoch.as_secs(), since_epoch.subsec_nanos());
        }
        "print-instant" => {
            // Debug shows the monotonic clock's reading (a Duration).
            println!("{:?}", Instant::now());
        }
        "net" => match std::net::TcpStream::connect("127.0.0.1:80") {
            Ok(_) => println!("connected"),
            Err(e) => println!("error: {e}"),
        },
        "random" => {
            // std seeds its hash maps from wasi:random.
            println!("{:016x}", RandomState::new().hash_one(0u64));
        }
        "exit" => {
            println!("exiting with 3");
            std::process::exit(3);
        }
        "panic" => {
            println!("about to panic");
            panic!("the test component panics on purpose");
        }
        "lines" => {
            let count: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100);
            for i in 0..count {
                println!("line {i}");
            }
        }
        "alloc" => {
            // A Vec of the given number of MiB, every page written.
            let mib: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1);
            let mut buffer = vec![0u8; mib << 20];
            for page in buffer.chunks_mut(4096) {
                page[0] = 1;
            }
            println!("allocated {} MiB, {} pages written", mib, buffer.iter().filter(|b| **b == 1).count());
        }
        "stdin" => {
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input).expect("stdin readable");
            print!("{}", input.to_uppercase());
        }
        "read-line" => {
            // One line, then exit: with an endless writer (`yes |`) stdin must be
            // read only as far as this.
            let mut line = String::new();
            let n = std::io::stdin().read_line(&mut line).expect("stdin readable");
            println!("read {n} bytes: {}", line.trim_end());
        }
        "repl" => {
            // A prompt, then each line's answer as soon as the line arrives.
            let mut line = String::new();
            loop {
                print!("> ");
                std::io::stdout().flush().expect("flush");
                line.clear();
                if std::io::stdin().read_line(&mut line).expect("stdin readable") == 0 {
                    println!("bye");
                    break;
                }
                println!("{}", line.trim_end().to_uppercase());
            }
        }
        "count-stdin" => {
            // Speaks before reading: a slow writer must not hold this back.
            println!("started");
            let mut buffer = [0u8; 4096];
            let (mut total, mut reads) = (0usize, 0usize);
            loop {
                match std::io::stdin().read(&mut buffer).expect("stdin readable") {
                    0 => break,
                    n => (total, reads) = (total + n, reads + 1),
                }
            }
            println!("{total} bytes in {} reads", if reads > 0 { "some" } else { "no" });
        }
        "try-write" => {
            // Two writes to stdout, each flushed; what each returned goes to stderr.
            for i in 1..=2 {
                let mut stdout = std::io::stdout();
                let outcome = writeln!(stdout, "attempt {i}").and_then(|()| stdout.flush());
                match outcome {
                    Ok(()) => eprintln!("write {i}: ok"),
                    Err(e) => eprintln!("write {i}: {e}"),
                }
            }
        }
        "fs" => match std::fs::read_to_string("/etc/hostname") {
            Ok(text) => println!("read {} bytes", text.len()),
            Err(e) => println!("error: {e}"),
        },
        "fs-script" => fs_script::script(args.get(2).map_or(".", String::as_str)),
        "fs-read-only" => fs_script::read_only(args.get(2).map_or(".", String::as_str)),
        "fs-open-many" => fs_script::open_many(
            args.get(2).map_or(".", String::as_str),
            args.get(3).and_then(|n| n.parse().ok()).unwrap_or(1),
        ),
        "fs-bench" => fs_script::bench(args.get(2).map_or(".", String::as_str), args.get(3).map_or("", String::as_str)),
        "fs-race" => fs_script::race(
            args.get(2).map_or(".", String::as_str),
            args.get(3).and_then(|n| n.parse().ok()).unwrap_or(1),
        ),
        "fs-escape" => fs_script::escape(args.get(2).map_or(".", String::as_str)),
        "interleave" => {
            print!("out 1 ");
            std::io::stdout().flush().expect("flush");
            eprint!("err 1 ");
            println!("out 2");
            eprintln!("err 2");
        }
        "spin" => {
            // Runs until stopped from outside (the containerd shim's kill test).
            println!("spinning");
            std::io::stdout().flush().expect("flush");
            let mut n = 0u64;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        other => {
            eprintln!("unknown scenario `{other}`");
            std::process::exit(2);
        }
    }
}
