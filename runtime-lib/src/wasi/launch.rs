//! What the program is granted: preopened directories and environment,
//! from the configuration baked in by `waot build` plus run-time grants in
//! environment variables that are never passed to the program:
//!
//! - `WAOT_DIR=HOST[::GUEST];HOST[::GUEST]...` more preopens (after the
//!   baked ones; `;`-separated, empty items ignored; GUEST defaults to HOST);
//! - `WAOT_ENV=K=V;K=V...` more environment entries (`;`-separated);
//! - `WAOT_INHERIT_ENV=1` pass the host environment (minus these four);
//! - `WAOT_TCPLISTEN=ADDR;ADDR...` TCP sockets bound to each `HOST:PORT`
//!   and listening (like wasmtime's `--tcplisten`), for `sock_accept`:
//!   fds after the preopens and the baked `--tcplisten` sockets. Sockets
//!   come after the directories because wasi-libc looks for preopens from
//!   fd 3 up and stops at the first fd that is not one.
//!
//! Order: inherited environment, then baked `--env`, then `WAOT_ENV`; a
//! later entry replaces an earlier one with the same key. Default (nothing
//! baked or granted): no directories, empty environment, so a program can
//! touch no file and learn nothing from the environment unless the user says
//! so. The command line is never interpreted: all of argv goes to the program.

use std::ffi::CString;
use std::fmt;

use waot_abi::launch::LaunchConfig;

use super::fd_table::{filetype, rights, Entry, FdTable};
use super::path::openat;
use super::WasiCtx;

/// Run-time directory grants.
pub const RUNTIME_DIR_VAR: &str = "WAOT_DIR";
/// Run-time environment entries.
pub const RUNTIME_ENV_VAR: &str = "WAOT_ENV";
/// Run-time "inherit the host environment" switch (`1`).
pub const RUNTIME_INHERIT_ENV_VAR: &str = "WAOT_INHERIT_ENV";
/// Run-time listening TCP sockets (`HOST:PORT;...`).
pub const RUNTIME_TCPLISTEN_VAR: &str = "WAOT_TCPLISTEN";

/// Why the program cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchError(pub String);

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Opens `host` and adds it as a preopen named `guest`.
pub(crate) fn preopen(w: &mut WasiCtx, host: &[u8], guest: &[u8]) -> Result<u32, LaunchError> {
    let shown = String::from_utf8_lossy(host).into_owned();
    let c = CString::new(host).map_err(|_| LaunchError(format!("bad directory `{shown}`")))?;
    let fd = openat(libc::AT_FDCWD, &c, libc::O_RDONLY | libc::O_DIRECTORY, 0)
        .map_err(|e| LaunchError(format!("cannot open directory `{shown}`: {e:?}")))?;
    w.fds
        .preopen(fd, guest.to_vec())
        .map_err(|e| LaunchError(format!("cannot preopen `{shown}`: {e:?}")))
}

/// Binds a TCP socket to `addr` (`HOST:PORT`), listens, and adds it as the
/// next fd; returns the fd.
pub(crate) fn tcp_listen(w: &mut WasiCtx, addr: &[u8]) -> Result<u32, LaunchError> {
    let shown = String::from_utf8_lossy(addr).into_owned();
    let bad = |e: &dyn fmt::Display| LaunchError(format!("cannot listen on `{shown}`: {e}"));
    let text = std::str::from_utf8(addr).map_err(|e| bad(&e))?;
    let listener = std::net::TcpListener::bind(text).map_err(|e| bad(&e))?;
    let fd = std::os::fd::OwnedFd::from(listener);
    w.fds
        .insert(Entry::owned(fd, filetype::SOCKET_STREAM, rights::SOCKET, 0))
        .map_err(|e| bad(&format!("{e:?}")))
}

fn split_dir(item: &[u8]) -> (&[u8], &[u8]) {
    match item.windows(2).position(|w| w == b"::") {
        Some(i) => (&item[..i], &item[i + 2..]),
        None => (item, item),
    }
}

fn set_env(env: &mut Vec<Vec<u8>>, entry: &[u8]) {
    let key = entry.split(|&b| b == b'=').next().unwrap_or(entry);
    env.retain(|e| e.split(|&b| b == b'=').next() != Some(key));
    env.push(entry.to_vec());
}

/// The context for `args` from `cfg` and the host environment `host_env`
/// (`KEY=VALUE` entries, in which the `WAOT_*` grant variables are read).
pub fn context(
    args: Vec<Vec<u8>>,
    cfg: &LaunchConfig,
    host_env: &[Vec<u8>],
) -> Result<WasiCtx, LaunchError> {
    let var = |name: &str| {
        host_env.iter().find_map(|e| {
            e.strip_prefix(name.as_bytes())
                .and_then(|rest| rest.strip_prefix(b"="))
        })
    };
    let mut w = WasiCtx {
        args,
        env: Vec::new(),
        fds: FdTable::with_stdio(),
    };
    let control = [
        RUNTIME_DIR_VAR,
        RUNTIME_ENV_VAR,
        RUNTIME_INHERIT_ENV_VAR,
        RUNTIME_TCPLISTEN_VAR,
    ];
    if cfg.inherit_env || var(RUNTIME_INHERIT_ENV_VAR) == Some(b"1") {
        for e in host_env {
            let key = e.split(|&b| b == b'=').next().unwrap_or(e);
            if !control.iter().any(|c| c.as_bytes() == key) {
                set_env(&mut w.env, e);
            }
        }
    }
    for e in &cfg.env {
        set_env(&mut w.env, e);
    }
    if let Some(list) = var(RUNTIME_ENV_VAR) {
        for e in list.split(|&b| b == b';').filter(|e| !e.is_empty()) {
            if !e.contains(&b'=') || e[0] == b'=' {
                let shown = String::from_utf8_lossy(e);
                return Err(LaunchError(format!(
                    "{RUNTIME_ENV_VAR}: `{shown}` is not KEY=VALUE"
                )));
            }
            set_env(&mut w.env, e);
        }
    }
    for (host, guest) in &cfg.dirs {
        preopen(&mut w, host, guest)?;
    }
    if let Some(list) = var(RUNTIME_DIR_VAR) {
        for item in list.split(|&b| b == b';').filter(|e| !e.is_empty()) {
            let (host, guest) = split_dir(item);
            if host.is_empty() || guest.is_empty() {
                let shown = String::from_utf8_lossy(item);
                return Err(LaunchError(format!(
                    "{RUNTIME_DIR_VAR}: `{shown}` is not HOST[::GUEST]"
                )));
            }
            preopen(&mut w, host, guest)?;
        }
    }
    for addr in &cfg.tcplisten {
        tcp_listen(&mut w, addr)?;
    }
    if let Some(list) = var(RUNTIME_TCPLISTEN_VAR) {
        for addr in list.split(|&b| b == b';').filter(|e| !e.is_empty()) {
            tcp_listen(&mut w, addr)?;
        }
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    #[test]
    fn grants() {
        let host = vec![
            b("HOME=/h"),
            b("WAOT_ENV=A=2;B=x=y"),
            b("WAOT_DIR=/tmp::t;/"),
        ];
        let cfg = LaunchConfig {
            dirs: vec![(b("/"), b("/"))],
            env: vec![b("A=1"), b("C=")],
            inherit_env: false,
            tcplisten: vec![],
        };
        let w = context(vec![b("p"), b("--dir")], &cfg, &host).unwrap();
        assert_eq!(w.args, [b("p"), b("--dir")]);
        assert_eq!(w.env, [b("C="), b("A=2"), b("B=x=y")]);
        let names: Vec<_> = (3..6)
            .map(|fd| w.fds.entry(fd).unwrap().preopen.clone().unwrap())
            .collect();
        assert_eq!(names, [b("/"), b("t"), b("/")]);
        assert!(w.fds.entry(6).is_err());

        // Default: nothing.
        let w = context(vec![], &LaunchConfig::default(), &host[..1]).unwrap();
        assert!(w.env.is_empty());
        assert!(w.fds.entry(3).is_err());
        // Inherit, without the control variables.
        let inherit = [b("HOME=/h"), b("WAOT_INHERIT_ENV=1"), b("WAOT_ENV=Z=1")];
        let w = context(vec![], &LaunchConfig::default(), &inherit).unwrap();
        assert_eq!(w.env, [b("HOME=/h"), b("Z=1")]);
        // Errors.
        let bad = [b("WAOT_DIR=/nonexistent-waot-dir")];
        assert!(context(vec![], &LaunchConfig::default(), &bad).is_err());
        let bad = [b("WAOT_ENV=novalue")];
        assert!(context(vec![], &LaunchConfig::default(), &bad).is_err());
        let bad = [b("WAOT_TCPLISTEN=no-port")];
        assert!(context(vec![], &LaunchConfig::default(), &bad).is_err());

        // Listening sockets come after the preopens.
        let env = [b("WAOT_DIR=/"), b("WAOT_TCPLISTEN=127.0.0.1:0;;[::1]:0")];
        let w = match context(vec![], &LaunchConfig::default(), &env) {
            Ok(w) => w,
            // A host without IPv6 loopback.
            Err(e) if e.0.contains("[::1]") => {
                let env = [b("WAOT_DIR=/"), b("WAOT_TCPLISTEN=127.0.0.1:0;127.0.0.1:0")];
                context(vec![], &LaunchConfig::default(), &env).unwrap()
            }
            Err(e) => panic!("{e}"),
        };
        assert!(w.fds.entry(3).unwrap().preopen.is_some());
        for fd in [4, 5] {
            let e = w.fds.entry(fd).unwrap();
            assert_eq!(e.filetype, filetype::SOCKET_STREAM);
            assert_ne!(e.rights_base & rights::SOCK_ACCEPT, 0);
        }
        assert!(w.fds.entry(6).is_err());
    }
}
