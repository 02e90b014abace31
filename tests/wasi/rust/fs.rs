//! std::fs in the preopened current directory: write/read round trip,
//! OpenOptions (append, create_new, truncate), Seek + Read/Write, set_len,
//! metadata (len, file type, modified time set exactly via File::set_times),
//! create_dir_all / read_dir (sorted) / rename / copy / hard_link /
//! remove_file / remove_dir / remove_dir_all, and error kinds. Prints only
//! deterministic results; exits 1 if any check failed.
use std::fs::{self, File, FileTimes, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

struct Checks {
    failed: u32,
}

impl Checks {
    fn check(&mut self, ok: bool, what: &str) {
        if ok {
            println!("ok {what}");
        } else {
            println!("FAIL {what}");
            self.failed += 1;
        }
    }
    fn kind<T>(&mut self, r: std::io::Result<T>, want: ErrorKind, what: &str) {
        match r {
            Err(e) if e.kind() == want => println!("ok {what}: {want:?}"),
            Err(e) => {
                println!("FAIL {what}: got {:?} ({e}), want {want:?}", e.kind());
                self.failed += 1;
            }
            Ok(_) => {
                println!("FAIL {what}: succeeded, want {want:?}");
                self.failed += 1;
            }
        }
    }
}

fn listing(path: &str) -> String {
    let mut names: Vec<String> = match fs::read_dir(path) {
        Ok(rd) => rd
            .map(|e| {
                let e = e.expect("dir entry");
                let ft = e.file_type().expect("file type");
                let kind = if ft.is_dir() { "/" } else if ft.is_file() { "" } else { "@" };
                format!("{}{}", e.file_name().to_string_lossy(), kind)
            })
            .collect(),
        Err(e) => return format!("error {:?}", e.kind()),
    };
    names.sort();
    names.join(" ")
}

fn main() {
    let mut c = Checks { failed: 0 };

    // write / read round trip
    let text = "Hello from std::fs\nline two\n";
    c.check(fs::write("a.txt", text).is_ok(), "fs::write a.txt");
    c.check(fs::read_to_string("a.txt").ok().as_deref() == Some(text), "fs::read_to_string round trip");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    c.check(fs::write("big.bin", &bytes).is_ok(), "fs::write 100000 bytes");
    c.check(fs::read("big.bin").ok() == Some(bytes.clone()), "fs::read 100000 bytes back");

    // append, create_new, truncate
    {
        let mut f = OpenOptions::new().append(true).open("a.txt").expect("open append");
        c.check(f.write_all(b"appended\n").is_ok(), "append write");
    }
    c.check(fs::read_to_string("a.txt").unwrap_or_default().ends_with("line two\nappended\n"), "appended at end");
    c.kind(OpenOptions::new().write(true).create_new(true).open("a.txt"), ErrorKind::AlreadyExists, "create_new on existing");
    c.kind(File::open("missing.txt"), ErrorKind::NotFound, "open missing");

    // seek + read/write on one handle
    {
        let mut f = OpenOptions::new().read(true).write(true).open("a.txt").expect("open rw");
        c.check(f.seek(SeekFrom::Start(6)).ok() == Some(6), "seek Start(6)");
        let mut buf = [0u8; 4];
        c.check(f.read_exact(&mut buf).is_ok() && &buf == b"from", "read 'from' at 6");
        c.check(f.stream_position().ok() == Some(10), "stream_position 10");
        c.check(f.seek(SeekFrom::Current(-4)).ok() == Some(6), "seek Current(-4)");
        c.check(f.write_all(b"FROM").is_ok(), "overwrite with FROM");
        c.check(f.seek(SeekFrom::End(-9)).is_ok(), "seek End(-9)");
        let mut rest = String::new();
        c.check(f.read_to_string(&mut rest).is_ok() && rest == "appended\n", "read last 9 bytes");
        c.check(f.set_len(5).is_ok(), "set_len 5");
        c.check(f.metadata().map(|m| m.len()).ok() == Some(5), "len 5 after set_len");
        c.check(f.sync_all().is_ok() && f.sync_data().is_ok(), "sync_all / sync_data");
    }
    c.check(fs::read_to_string("a.txt").ok().as_deref() == Some("Hello"), "content Hello");
    {
        let mut f = OpenOptions::new().write(true).truncate(true).open("a.txt").expect("open truncate");
        c.check(f.metadata().map(|m| m.len()).ok() == Some(0), "truncate empties");
        c.check(f.write_all(b"again").is_ok(), "write after truncate");
    }

    // metadata and times
    let m = fs::metadata("big.bin").expect("metadata big.bin");
    c.check(m.is_file() && !m.is_dir() && m.len() == 100_000, "big.bin: file, 100000 bytes");
    let now = SystemTime::now();
    let modified = m.modified().expect("modified");
    let age = now.duration_since(modified).unwrap_or_else(|e| e.duration());
    c.check(age < Duration::from_secs(10), "big.bin modified within 10 s of now");
    let t_mod = UNIX_EPOCH + Duration::new(1_600_000_000, 123_456_789);
    let t_acc = UNIX_EPOCH + Duration::new(1_234_567_890, 500_000_000);
    {
        let f = File::options().write(true).open("big.bin").expect("open big.bin");
        c.check(f.set_times(FileTimes::new().set_modified(t_mod).set_accessed(t_acc)).is_ok(), "File::set_times");
    }
    let m = fs::metadata("big.bin").expect("metadata again");
    c.check(m.modified().ok() == Some(t_mod), "modified reads back 1600000000.123456789");
    c.check(m.accessed().ok() == Some(t_acc), "accessed reads back 1234567890.5");
    c.check(fs::metadata(".").map(|m| m.is_dir()).unwrap_or(false), ". is a directory");

    // directories
    c.check(fs::create_dir_all("tree/a/b/c").is_ok(), "create_dir_all tree/a/b/c");
    c.check(fs::create_dir_all("tree/a/b/c").is_ok(), "create_dir_all again is ok");
    c.kind(fs::create_dir("tree/a"), ErrorKind::AlreadyExists, "create_dir existing");
    c.check(fs::write("tree/a/one.txt", "1").is_ok() && fs::write("tree/a/two.txt", "22").is_ok(), "write two files");
    c.check(fs::copy("tree/a/two.txt", "tree/a/b/copy.txt").ok() == Some(2), "fs::copy 2 bytes");
    c.check(fs::hard_link("tree/a/one.txt", "tree/a/b/link.txt").is_ok(), "hard_link");
    println!("tree/a: {}", listing("tree/a"));
    println!("tree/a/b: {}", listing("tree/a/b"));
    c.check(fs::rename("tree/a/one.txt", "tree/one-renamed.txt").is_ok(), "rename file");
    c.check(fs::rename("tree/a/b/c", "tree/c-renamed").is_ok(), "rename dir");
    c.kind(fs::rename("tree/nothing", "tree/x"), ErrorKind::NotFound, "rename missing");
    println!("tree: {}", listing("tree"));
    c.check(fs::read_to_string("tree/a/b/link.txt").ok().as_deref() == Some("1"), "hard link content");
    // Not ErrorKind::DirectoryNotEmpty: Rust's wasm32-wasip1 std maps WASI's
    // ENOTEMPTY (55) to ErrorKind::Uncategorized.
    c.check(fs::remove_dir("tree/a").is_err() && fs::metadata("tree/a").is_ok(), "remove_dir non-empty fails, dir kept");
    c.kind(fs::remove_file("tree/nothing"), ErrorKind::NotFound, "remove_file missing");
    c.check(fs::remove_file("tree/one-renamed.txt").is_ok(), "remove_file");
    c.check(fs::remove_dir("tree/c-renamed").is_ok(), "remove_dir empty");
    c.check(fs::remove_dir_all("tree").is_ok(), "remove_dir_all tree");
    c.check(fs::metadata("tree").is_err(), "tree gone");
    c.check(fs::remove_file("a.txt").is_ok() && fs::remove_file("big.bin").is_ok(), "remove a.txt big.bin");
    println!(".: {}", listing("."));

    println!("fs: {}", if c.failed == 0 { "all ok" } else { "FAILED" });
    std::process::exit(if c.failed == 0 { 0 } else { 1 });
}
