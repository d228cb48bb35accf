//! Filesystem scenarios: a script of std::fs operations over a granted
//! directory, each printing its outcome (values, or the error's kind and
//! code), so two hosts' outputs can be compared line by line.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};

/// Prints one operation's outcome.
fn show<T: std::fmt::Debug>(step: &mut usize, label: &str, outcome: std::io::Result<T>) {
    *step += 1;
    match outcome {
        Ok(value) => println!("{step:02} {label}: ok {value:?}"),
        Err(e) => println!("{step:02} {label}: error {:?} (os {:?})", e.kind(), e.raw_os_error()),
    }
}

fn names(path: &str) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let tag = if kind.is_dir() { "d" } else if kind.is_symlink() { "l" } else { "f" };
        names.push(format!("{}:{tag}", entry.file_name().to_string_lossy()));
    }
    names.sort();
    Ok(names)
}

fn read_at(path: &str, seek: SeekFrom, len: usize) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let position = file.seek(seek)?;
    let mut buffer = vec![0; len];
    let n = file.read(&mut buffer)?;
    buffer.truncate(n);
    Ok(format!("at {position}: {}", String::from_utf8_lossy(&buffer)))
}

/// At least 40 operations beneath `d`, which holds `link` (-> target.txt),
/// `target.txt` and `dirlink` (-> sub), `sub/inner.txt`, made by the host.
pub fn script(d: &str) {
    let p = |rest: &str| format!("{d}/{rest}");
    let s = &mut 0;
    show(s, "create_dir_all", fs::create_dir_all(p("a/b/c")));
    show(s, "write", fs::write(p("a/file.txt"), "hello"));
    show(s, "read", fs::read_to_string(p("a/file.txt")));
    show(s, "append", OpenOptions::new().append(true).open(p("a/file.txt")).and_then(|mut f| f.write_all(b" world")));
    show(s, "read appended", fs::read_to_string(p("a/file.txt")));
    show(s, "metadata file", fs::metadata(p("a/file.txt")).map(|m| (m.len(), m.is_file(), m.is_dir())));
    show(s, "metadata dir", fs::metadata(p("a")).map(|m| (m.is_file(), m.is_dir())));
    show(s, "read_dir", names(&p("a")));
    show(s, "read_dir root", names(d));
    show(s, "rename", fs::rename(p("a/file.txt"), p("a/renamed.txt")));
    show(s, "read old name", fs::read_to_string(p("a/file.txt")));
    show(s, "read new name", fs::read_to_string(p("a/renamed.txt")));
    show(s, "seek start", read_at(&p("a/renamed.txt"), SeekFrom::Start(6), 5));
    show(s, "seek end", read_at(&p("a/renamed.txt"), SeekFrom::End(-3), 10));
    show(s, "seek current past end", read_at(&p("a/renamed.txt"), SeekFrom::Start(100), 10));
    show(s, "set_len shorter", OpenOptions::new().write(true).open(p("a/renamed.txt")).and_then(|f| f.set_len(3)));
    show(s, "read shortened", fs::read_to_string(p("a/renamed.txt")));
    show(s, "set_len longer", OpenOptions::new().write(true).open(p("a/renamed.txt")).and_then(|f| f.set_len(10)));
    show(s, "read lengthened", fs::read(p("a/renamed.txt")));
    show(s, "set_len read-only handle", File::open(p("a/renamed.txt")).and_then(|f| f.set_len(1)));
    show(s, "write read-only handle", File::open(p("a/renamed.txt")).and_then(|mut f| f.write_all(b"x")));
    show(s, "copy", fs::copy(p("a/renamed.txt"), p("a/copy.txt")));
    show(s, "hard_link", fs::hard_link(p("a/copy.txt"), p("a/hard.txt")));
    show(s, "hard link metadata", fs::metadata(p("a/hard.txt")).map(|m| m.len()));
    show(s, "create_new existing", File::create_new(p("a/copy.txt")).map(|_| ()));
    show(s, "create_new fresh", File::create_new(p("a/new.txt")).map(|_| ()));
    show(s, "truncate", OpenOptions::new().write(true).truncate(true).open(p("a/copy.txt")).map(|_| ()));
    show(s, "read truncated", fs::read(p("a/copy.txt")));
    show(s, "remove_file", fs::remove_file(p("a/hard.txt")));
    show(s, "remove_file again", fs::remove_file(p("a/hard.txt")));
    show(s, "remove_dir not empty", fs::remove_dir(p("a/b")));
    show(s, "remove_dir", fs::remove_dir(p("a/b/c")));
    show(s, "remove_dir on file", fs::remove_dir(p("a/copy.txt")));
    show(s, "remove_file on dir", fs::remove_file(p("a/b")));
    show(s, "create_dir existing", fs::create_dir(p("a")));
    show(s, "read a directory", fs::read_to_string(p("a")));
    show(s, "create under missing", File::create(p("a/x/y")).map(|_| ()));
    show(s, "create under a file", File::create(p("a/copy.txt/y")).map(|_| ()));
    show(s, "metadata missing", fs::metadata(p("missing")).map(|m| m.len()));
    show(s, "read_dir of a file", names(&p("a/copy.txt")));
    show(s, "dot dot inside", fs::read_to_string(p("a/../a/renamed.txt")));
    show(s, "symlink_metadata", fs::symlink_metadata(p("link")).map(|m| m.file_type().is_symlink()));
    show(s, "metadata through link", fs::metadata(p("link")).map(|m| (m.is_file(), m.len())));
    show(s, "read_link", fs::read_link(p("link")));
    show(s, "read through link", fs::read_to_string(p("link")));
    show(s, "read through dir link", fs::read_to_string(p("dirlink/inner.txt")));
    show(s, "canonicalize", fs::canonicalize(p("a")));
    show(s, "rename dir", fs::rename(p("a/b"), p("a/moved")));
    show(s, "read_dir after", names(&p("a")));
    show(s, "sync", File::open(p("a/renamed.txt")).and_then(|f| f.sync_all().and_then(|()| f.sync_data())));
    show(s, "file metadata", File::open(p("a/renamed.txt")).and_then(|f| f.metadata()).map(|m| m.len()));
    show(s, "modified present", fs::metadata(p("a/renamed.txt")).map(|m| m.modified().is_ok()));
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    show(s, "write 200 KB", fs::write(p("big.bin"), &big));
    show(s, "read 200 KB", fs::read(p("big.bin")).map(|b| (b.len(), b == big)));
    show(s, "hole", OpenOptions::new().write(true).open(p("a/new.txt")).and_then(|mut f| {
        f.seek(SeekFrom::Start(4))?;
        f.write_all(b"end")
    }));
    show(s, "read hole", fs::read(p("a/new.txt")));
    show(s, "remove_dir_all", fs::remove_dir_all(p("a")));
    show(s, "read_dir final", names(d));
}

/// Changes beneath a read-only grant `d` (holding `target.txt`) fail.
pub fn read_only(d: &str) {
    let p = |rest: &str| format!("{d}/{rest}");
    let s = &mut 0;
    show(s, "read", fs::read_to_string(p("target.txt")));
    show(s, "read_dir", names(d));
    show(s, "write", fs::write(p("target.txt"), "changed"));
    show(s, "create", File::create(p("new.txt")).map(|_| ()));
    show(s, "append", OpenOptions::new().append(true).open(p("target.txt")).map(|_| ()));
    show(s, "create_dir", fs::create_dir(p("dir")));
    show(s, "remove_file", fs::remove_file(p("target.txt")));
    show(s, "remove_dir", fs::remove_dir(p("sub")));
    show(s, "rename", fs::rename(p("target.txt"), p("moved.txt")));
    show(s, "hard_link", fs::hard_link(p("target.txt"), p("hard.txt")));
    show(s, "set_len", File::open(p("target.txt")).and_then(|f| f.set_len(0)));
    show(s, "metadata", fs::metadata(p("target.txt")).map(|m| m.len()));
}

/// Tries to leave the grant `d` every way we know; nothing may succeed in
/// reaching outside (the host checks its tree and our output).
pub fn escape(d: &str) {
    let p = |rest: &str| format!("{d}/{rest}");
    let s = &mut 0;
    for path in [
        p("../secret.txt"),
        p("sub/../../secret.txt"),
        "/secret.txt".to_owned(),
        p("abs_link"),
        p("rel_link"),
        p("up_link/secret.txt"),
        p("sub/deep_link"),
        p("loop_a"),
        p("proc_link"),
        p("proc_link/hostname"),
        p("fd_link"),
        "/proc/self/environ".to_owned(),
        p("/../secret.txt"),
    ] {
        show(s, &format!("read {}", path.trim_start_matches(d)), fs::read_to_string(&path));
    }
    show(s, "read_dir up_link", names(&p("up_link")));
    show(s, "read_dir ..", names(&p("..")));
    show(s, "metadata ../secret", fs::metadata(p("../secret.txt")).map(|m| m.len()));
    show(s, "symlink_metadata up_link/secret", fs::symlink_metadata(p("up_link/secret.txt")).map(|m| m.len()));
    show(s, "write ../pwned", fs::write(p("../pwned.txt"), "pwned"));
    show(s, "write through up_link", fs::write(p("up_link/pwned.txt"), "pwned"));
    show(s, "write through abs_link", fs::write(p("abs_link"), "pwned"));
    show(s, "write through dangling", fs::write(p("dangling_out"), "pwned"));
    show(s, "create_dir ../pwned_dir", fs::create_dir(p("../pwned_dir")));
    show(s, "create_dir up_link/pwned_dir", fs::create_dir(p("up_link/pwned_dir")));
    show(s, "rename out", fs::rename(p("inside.txt"), p("../moved.txt")));
    show(s, "rename in", fs::rename(p("../secret.txt"), p("stolen.txt")));
    show(s, "rename via up_link", fs::rename(p("up_link/secret.txt"), p("stolen.txt")));
    show(s, "remove outside", fs::remove_file(p("../secret.txt")));
    show(s, "remove via up_link", fs::remove_file(p("up_link/secret.txt")));
    show(s, "remove_dir ..", fs::remove_dir(p("..")));
    show(s, "hard_link out", fs::hard_link(p("up_link/secret.txt"), p("linked.txt")));
    show(s, "truncate via up_link", OpenOptions::new().write(true).truncate(true).open(p("up_link/secret.txt")).map(|_| ()));
    show(s, "read_link abs_link", fs::read_link(p("abs_link")));
    show(s, "read_link rel_link", fs::read_link(p("rel_link")));
    show(s, "inside still readable", fs::read_to_string(p("inside.txt")));
}

/// Opens `count` files beneath `d` and keeps them open (leaked), printing
/// each outcome: the host's descriptor limit and restore are seen from here.
pub fn open_many(d: &str, count: usize) {
    let s = &mut 0;
    for i in 0..count {
        let file = File::create(format!("{d}/open-{i}.txt"));
        show(s, "open", file.map(std::mem::forget));
    }
}

/// The benchmark's work: `write` 256 MiB, `read` them back, or `readdir` a
/// directory, in 64 KiB `std::io` calls; prints what it moved.
pub fn bench(d: &str, what: &str) {
    const TOTAL: usize = 256 << 20;
    let chunk = vec![0x5au8; 64 << 10];
    match what {
        "write" => {
            let mut file = File::create(format!("{d}/big.bin")).expect("create");
            for _ in 0..TOTAL / chunk.len() {
                file.write_all(&chunk).expect("write");
            }
            println!("wrote {TOTAL}");
        }
        "read" => {
            let mut file = File::open(format!("{d}/big.bin")).expect("open");
            let mut buffer = vec![0u8; 64 << 10];
            let mut total = 0;
            loop {
                match file.read(&mut buffer).expect("read") {
                    0 => break,
                    n => total += n,
                }
            }
            println!("read {total}");
        }
        _ => println!("listed {}", fs::read_dir(format!("{d}/many")).expect("read_dir").count()),
    }
}

/// Reads `x/y/../secret.txt` beneath `d` `count` times while the host moves
/// `x/y` in and out of the grant: were `..` resolved after `y` left, it would
/// reach the secret beside the grant. Prints what the reads saw.
pub fn race(d: &str, count: usize) {
    let (mut found, mut missing, mut other) = (0, 0, 0);
    for _ in 0..count {
        match fs::read_to_string(format!("{d}/x/y/../secret.txt")) {
            Ok(_) => found += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing += 1,
            Err(_) => other += 1,
        }
    }
    println!("read {found} not found {missing} other errors {other}");
}
