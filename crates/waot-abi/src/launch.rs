//! The launch configuration baked into an executable by `waot build`:
//! directories granted to the program (WASI preopens), its environment and
//! listening TCP sockets.
//!
//! The compiler emits the encoded blob as a local read-only data object
//! (`<prefix>_launch`); the generated C `main` passes it to the runtime:
//! `waot_rt_main(desc, argc, argv, launch, launch_len)` (see
//! [`crate::symbols::RUNTIME_MAIN`]).
//!
//! Blob format (all integers little-endian `u32`):
//!
//! ```text
//! b"WAOTLNCH"
//! flags                      bit 0: inherit the host environment
//! ndirs, then per dir:       host_len, host bytes, guest_len, guest bytes
//! nenv, then per entry:      len, bytes ("KEY=VALUE")
//! nlisten, then per socket:  len, bytes ("HOST:PORT")   (absent in older blobs)
//! ```
//!
//! An empty blob (length 0) means "nothing baked in": no directories, no
//! environment. At run time the runtime adds the grants of the `WAOT_DIR`,
//! `WAOT_ENV`, `WAOT_INHERIT_ENV` and `WAOT_TCPLISTEN` environment
//! variables (documented in the README), which are never passed to the
//! program.

use alloc::vec::Vec;

/// Magic bytes at the start of a launch blob.
pub const LAUNCH_MAGIC: &[u8; 8] = b"WAOTLNCH";

/// What `waot build` grants the program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LaunchConfig {
    /// Preopened directories in grant order (guest fds 3, 4, ...):
    /// `(host path, guest name)`.
    pub dirs: Vec<(Vec<u8>, Vec<u8>)>,
    /// Environment entries `KEY=VALUE`, in order.
    pub env: Vec<Vec<u8>>,
    /// Pass the host's environment to the program (before `env`).
    pub inherit_env: bool,
    /// Addresses (`HOST:PORT`) the runtime binds and listens on at start,
    /// each becoming an fd after the preopens (`--tcplisten`).
    pub tcplisten: Vec<Vec<u8>>,
}

impl LaunchConfig {
    /// Encodes the blob (see the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(LAUNCH_MAGIC);
        put_u32(&mut out, self.inherit_env as u32);
        put_u32(&mut out, self.dirs.len() as u32);
        for (host, guest) in &self.dirs {
            put_bytes(&mut out, host);
            put_bytes(&mut out, guest);
        }
        put_u32(&mut out, self.env.len() as u32);
        for e in &self.env {
            put_bytes(&mut out, e);
        }
        put_u32(&mut out, self.tcplisten.len() as u32);
        for a in &self.tcplisten {
            put_bytes(&mut out, a);
        }
        out
    }

    /// Decodes a blob; an empty blob is the default configuration.
    pub fn decode(bytes: &[u8]) -> Result<LaunchConfig, &'static str> {
        if bytes.is_empty() {
            return Ok(LaunchConfig::default());
        }
        let mut r = Reader { bytes, at: 0 };
        if r.take(8)? != LAUNCH_MAGIC {
            return Err("bad launch configuration magic");
        }
        let flags = r.u32()?;
        let mut cfg = LaunchConfig {
            inherit_env: flags & 1 != 0,
            ..LaunchConfig::default()
        };
        for _ in 0..r.u32()? {
            let host = r.bytes()?;
            let guest = r.bytes()?;
            cfg.dirs.push((host, guest));
        }
        for _ in 0..r.u32()? {
            cfg.env.push(r.bytes()?);
        }
        if r.at < bytes.len() {
            for _ in 0..r.u32()? {
                cfg.tcplisten.push(r.bytes()?);
            }
        }
        if r.at != bytes.len() {
            return Err("trailing bytes in launch configuration");
        }
        Ok(cfg)
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len() as u32);
    out.extend_from_slice(b);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        let end = self
            .at
            .checked_add(n)
            .ok_or("truncated launch configuration")?;
        let s = self
            .bytes
            .get(self.at..end)
            .ok_or("truncated launch configuration")?;
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, &'static str> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn bytes(&mut self) -> Result<Vec<u8>, &'static str> {
        let n = self.u32()? as usize;
        Ok(self.take(n)?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn round_trip() {
        let cfg = LaunchConfig {
            dirs: vec![(b"/tmp/x".to_vec(), b".".to_vec())],
            env: vec![b"A=1".to_vec(), b"B=".to_vec()],
            inherit_env: true,
            tcplisten: vec![b"127.0.0.1:8080".to_vec()],
        };
        let blob = cfg.encode();
        assert_eq!(LaunchConfig::decode(&blob), Ok(cfg.clone()));
        // A blob without the socket section (older waot) still decodes.
        let old = LaunchConfig {
            tcplisten: vec![],
            ..cfg
        };
        let old_blob = old.encode();
        assert_eq!(
            LaunchConfig::decode(&old_blob[..old_blob.len() - 4]),
            Ok(old)
        );
        assert_eq!(LaunchConfig::decode(&[]), Ok(LaunchConfig::default()));
        assert!(LaunchConfig::decode(&blob[..blob.len() - 1]).is_err());
        assert!(LaunchConfig::decode(b"WAOTLNCX\0\0\0\0").is_err());
    }
}
