//! The WASI corpus runner shared by `wasi.rs` (native) and `aarch64.rs`
//! (cross-built, under qemu): every program of `tests/wasi/manifest.txt`
//! is built with `waot build`, run in a fresh temp dir with `T/root`
//! preopened as `.`, and its stdout, exit status and the files outside the
//! preopen are checked, with the same expectations on every target.
//! Programs whose stdin is a socket (`socket:MODE`) get a peer thread
//! here, playing the protocol of `c/sockstream.c` / `c/socklisten.c`.

use std::ffi::OsString;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::fs::symlink;
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use super::{describe, repo_root, run_with_input, waot_build};

/// One manifest line (format in the header of `manifest.txt`).
#[derive(Debug, Clone)]
pub struct Program {
    pub name: String,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub stdin: Option<String>,
    pub exit: i32,
    pub setup: Vec<String>,
}

/// How the corpus is built and run on one target.
pub struct Platform<'a> {
    /// Extra `waot build` arguments (e.g. `--target ...`).
    pub build_args: &'a [&'a str],
    /// Runs an executable: empty natively, else the emulator and its
    /// arguments, given the executable's path next.
    pub wrapper: &'a [OsString],
    /// Safety net for building and for each run.
    pub limit: Duration,
}

/// How the preopen and environment are granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grants {
    /// `waot build --dir ... --env ...`.
    BuildTime,
    /// `WAOT_DIR` / `WAOT_ENV` when the program runs.
    RunTime,
}

/// The programs that use the preopen or the environment, worth checking
/// with run-time grants too.
pub const USES_GRANTS: &[&str] = &[
    "c/files",
    "c/sandbox",
    "c/argsenv",
    "rust/fs",
    "rust/envexit",
];

/// The folder of the corpus.
pub fn wasi_dir() -> PathBuf {
    repo_root().join("tests/wasi")
}

/// The programs of `tests/wasi/manifest.txt`, in order.
pub fn manifest() -> Vec<Program> {
    let text = fs::read_to_string(wasi_dir().join("manifest.txt")).unwrap();
    let list = |s: &str, sep: char| -> Vec<String> {
        if s == "-" {
            Vec::new()
        } else {
            s.split(sep).map(str::to_string).collect()
        }
    };
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('|').map(str::trim).collect();
            assert_eq!(f.len(), 6, "bad manifest line {l:?}");
            Program {
                name: f[0].to_string(),
                args: list(f[1], ' '),
                env: list(f[2], ';'),
                stdin: (f[3] != "-").then(|| f[3].to_string()),
                exit: f[4].parse().unwrap(),
                setup: list(f[5], ';'),
            }
        })
        .collect()
}

/// Checks every manifest program on `platform`, in parallel: with
/// build-time grants, and with run-time grants too for [`USES_GRANTS`]
/// when `runtime_grants`. Panics listing all failures.
pub fn check_corpus(platform: &Platform, runtime_grants: bool) {
    let programs = manifest();
    // Catches a manifest line lost to a parsing change.
    assert_eq!(programs.len(), 21, "programs in tests/wasi/manifest.txt");
    let runs: Vec<(&Program, Grants)> = programs
        .iter()
        .flat_map(|p| {
            let both = runtime_grants && USES_GRANTS.contains(&p.name.as_str());
            let modes = if both {
                vec![Grants::BuildTime, Grants::RunTime]
            } else {
                vec![Grants::BuildTime]
            };
            modes.into_iter().map(move |g| (p, g))
        })
        .collect();
    super::check_all_parallel(&runs, |&(p, g)| check_program(platform, p, g));
}

/// Builds and runs one manifest program on `platform`.
pub fn check_program(platform: &Platform, p: &Program, grants: Grants) -> Result<(), String> {
    let wasi = wasi_dir();
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let t = tmp.path().join("t");
    let root = t.join("root");
    fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    let mut outside = Vec::new();
    for item in &p.setup {
        let (kind, rest) = item.split_once(':').expect("setup item KIND:...");
        let (path, value) = rest.split_once('=').unwrap_or((rest, ""));
        match kind {
            "file" => fs::write(root.join(path), value).unwrap(),
            "dir" => fs::create_dir_all(root.join(path)).unwrap(),
            "symlink" => symlink(value, root.join(path)).unwrap(),
            "outside" => {
                fs::write(t.join(path), value).unwrap();
                outside.push((path.to_string(), value.to_string()));
            }
            _ => panic!("unknown setup item {item}"),
        }
    }
    let preopen = format!("{}::.", root.display());
    let mut args: Vec<String> = platform.build_args.iter().map(|a| a.to_string()).collect();
    if grants == Grants::BuildTime {
        args.push("--dir".into());
        args.push(preopen.clone());
        args.extend(p.env.iter().map(|e| format!("--env={e}")));
    }
    // Named after the program: argv[0] is its path (the programs only
    // check that argv[0] is non-empty).
    let exe = tmp.path().join(p.name.rsplit('/').next().unwrap());
    let input = wasi.join(format!("{}.wasm", p.name));
    waot_build(&input, &exe, &args, platform.limit)?;
    let mut cmd = match platform.wrapper.split_first() {
        None => Command::new(&exe),
        Some((emulator, rest)) => {
            let mut c = Command::new(emulator);
            c.args(rest).arg(&exe);
            c
        }
    };
    cmd.args(&p.args).env_clear().current_dir(tmp.path());
    if grants == Grants::RunTime {
        cmd.env("WAOT_DIR", &preopen);
        cmd.env("WAOT_ENV", p.env.join(";"));
    }
    let (stdin, peer) = match p.stdin.as_deref() {
        None => (Stdio::null(), None),
        Some(s) => match s.strip_prefix("socket:") {
            Some(mode) => {
                let (stdin, peer) = socket_peer(mode)?;
                (stdin, Some(peer))
            }
            None => {
                let f = wasi.join(s);
                let file = fs::File::open(&f).map_err(|e| format!("{}: {e}", f.display()))?;
                (Stdio::from(file), None)
            }
        },
    };
    let out = run_with_input(&mut cmd, stdin, platform.limit)?;
    let expected =
        fs::read_to_string(wasi.join(format!("{}.expected", p.name))).map_err(|e| e.to_string())?;
    let got = out.stdout_text();
    let mut problems = Vec::new();
    if expected != got {
        problems.push(format!(
            "stdout differs\n--- expected:\n{expected}--- got:\n{got}"
        ));
    }
    if let Some(Err(e)) = peer.map(|h| h.join().expect("socket peer panicked")) {
        problems.push(format!("socket peer: {e}"));
    }
    // Above 128: killed by signal `exit - 128`, as the shell says.
    let exited_right = if p.exit > 128 {
        out.status.signal() == Some(p.exit - 128)
    } else {
        out.status.code() == Some(p.exit)
    };
    if !exited_right {
        problems.push(format!(
            "expected exit {}, got {}",
            p.exit,
            describe(out.status)
        ));
    }
    for (name, text) in &outside {
        let now = fs::read_to_string(t.join(name)).unwrap_or_default();
        if &now != text {
            problems.push(format!("outside file {name} changed to {now:?}"));
        }
    }
    if !outside.is_empty() {
        let mut names: Vec<String> = fs::read_dir(&t)
            .map_err(|e| e.to_string())?
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut want: Vec<String> = outside.iter().map(|o| o.0.clone()).collect();
        want.push("root".into());
        want.sort();
        if names != want {
            problems.push(format!(
                "files next to the preopen: {names:?}, want {want:?}"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} ({}):\n{}\nstderr:\n{}",
            p.name,
            match grants {
                Grants::BuildTime => "--dir/--env",
                Grants::RunTime => "WAOT_DIR/WAOT_ENV",
            },
            problems.join("\n"),
            out.stderr_text()
        ))
    }
}

/// A peer thread's verdict.
pub type Peer = thread::JoinHandle<Result<(), String>>;

/// Reads `s` until `stop` is in what was read, or to EOF when `stop` is
/// empty; returns everything read.
fn read_until(s: &mut impl Read, mut got: Vec<u8>, stop: &[u8]) -> Result<Vec<u8>, String> {
    let mut buf = [0u8; 256];
    loop {
        if !stop.is_empty() && got.windows(stop.len()).any(|w| w == stop) {
            return Ok(got);
        }
        match s.read(&mut buf) {
            Ok(0) if stop.is_empty() => return Ok(got),
            Ok(0) => return Err(format!("EOF before {stop:?}, got {got:?}")),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("read: {e} (got {got:?})")),
        }
    }
}

/// The socket a program gets as stdin for `socket:MODE` (manifest.txt),
/// and the thread playing the other end (the protocols are described in
/// `c/sockstream.c` and `c/socklisten.c`).
pub fn socket_peer(mode: &str) -> Result<(Stdio, Peer), String> {
    // Generous: programs under emulation start slowly.
    let limit = Some(Duration::from_secs(60));
    let err = |e: std::io::Error| e.to_string();
    match mode {
        "stream" => {
            let (mut mine, theirs) = UnixStream::pair().map_err(err)?;
            mine.set_read_timeout(limit).map_err(err)?;
            mine.write_all(b"hello, socket\n").map_err(err)?;
            let peer = thread::spawn(move || {
                let got = read_until(&mut mine, Vec::new(), b"ping\n")?;
                // In two parts: the program's recv(MSG_WAITALL) must wait for both.
                mine.write_all(b"po").map_err(err)?;
                thread::sleep(Duration::from_millis(100));
                mine.write_all(b"ng\n").map_err(err)?;
                let got = read_until(&mut mine, got, b"")?;
                mine.write_all(b"peer done\n").map_err(err)?;
                if got != b"ping\nvia fd_write\nbye\n" {
                    return Err(format!("received {:?}", String::from_utf8_lossy(&got)));
                }
                Ok(())
            });
            Ok((Stdio::from(OwnedFd::from(theirs)), peer))
        }
        "listen" => {
            let listener = TcpListener::bind("127.0.0.1:0").map_err(err)?;
            let addr = listener.local_addr().map_err(err)?;
            let peer = thread::spawn(move || {
                thread::sleep(Duration::from_millis(100));
                get_ok(&mut TcpStream::connect(addr).map_err(err)?)
            });
            Ok((Stdio::from(OwnedFd::from(listener)), peer))
        }
        _ => Err(format!("unknown socket mode {mode}")),
    }
}

/// The client side of `c/socklisten`: sends `GET`, wants `OK GET` and EOF.
pub fn get_ok(c: &mut TcpStream) -> Result<(), String> {
    c.set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    c.write_all(b"GET\n").map_err(|e| e.to_string())?;
    let got = read_until(c, Vec::new(), b"")?;
    if got != b"OK GET\n" {
        return Err(format!("received {:?}", String::from_utf8_lossy(&got)));
    }
    Ok(())
}
