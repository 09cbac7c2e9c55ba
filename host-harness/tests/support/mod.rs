//! What the tests of the `omni-host` binary share: the binary itself and a running `serve`.

#![allow(dead_code)] // each test binary uses its part

pub mod cli;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The binary, with its compiled-component cache in this test run's own directory.
pub fn command() -> Command {
    static CACHE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(|| std::env::temp_dir().join(format!("omni-host-cli-cache-{}", std::process::id())));
    let mut command = Command::new(env!("CARGO_BIN_EXE_omni-host"));
    command.env("OMNI_HOST_CACHE_DIR", cache);
    command
}

/// `omni-host serve` running on a free loopback port, stderr captured; killed if a test
/// leaves it running.
pub struct Serving {
    child: std::process::Child,
    pub port: u16,
    /// Drains stderr as it comes (a trace log would fill the pipe and block the process).
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Serving {
    /// Starts `serve` on the workspace's config with `extra` flags, and waits for `/healthz`.
    pub fn start(dir: &Path, extra: &[&str]) -> Self {
        Self::start_with(&dir.join("config.toml"), "none", extra)
    }

    /// Starts `serve` on `config`, its events to `events` (`--events`), with `extra` flags.
    pub fn start_with(config: &Path, events: &str, extra: &[&str]) -> Self {
        Self::start_in_env(config, events, extra, &[])
    }

    /// [`Serving::start_with`], with these variables in the process's environment.
    pub fn start_in_env(config: &Path, events: &str, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let listen = format!("127.0.0.1:{port}");
        let mut args = vec!["serve", "--config", config.to_str().unwrap(), "--listen", &listen, "--events", events];
        args.extend_from_slice(extra);
        let mut child =
            command().args(&args).envs(env.iter().copied()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        let mut pipe = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        });
        let serving = Self { child, port, stderr: Some(stderr) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(reply) = serving.request(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") {
                assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
                return serving;
            }
            assert!(Instant::now() < deadline, "serve never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends raw request bytes on a fresh connection and reads until the server closes it.
    pub fn request(&self, bytes: &[u8]) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.write_all(bytes)?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply)?;
        Ok(reply)
    }

    /// Sends `method path` with `headers` (`name: value` lines) and `body` on a fresh
    /// connection; returns the status and the body of the reply.
    pub fn call(&self, method: &str, path: &str, headers: &[&str], body: &[u8]) -> (u16, String) {
        let mut bytes =
            format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
        for header in headers {
            bytes.push_str(header);
            bytes.push_str("\r\n");
        }
        bytes.push_str("\r\n");
        let mut bytes = bytes.into_bytes();
        bytes.extend_from_slice(body);
        let reply = self.request(&bytes).expect("serve answers");
        let status = reply.get(9..12).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not HTTP: {reply}"));
        let body = reply.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        (status, body)
    }

    /// The process id (for signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits up to `bound` for the process to exit; `None` if it is still running.
    pub fn exit_within(&mut self, bound: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + bound;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Everything the process wrote to stderr (once it has exited).
    pub fn stderr(&mut self) -> String {
        self.stderr.take().expect("stderr is read once").join().unwrap()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
