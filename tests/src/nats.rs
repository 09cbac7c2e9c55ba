//! A real `nats-server` with JetStream on a free loopback port, restartable with its data.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `nats-server -js`; killed when dropped.
pub struct NatsServer {
    pub port: u16,
    store: PathBuf,
    child: Option<Child>,
    /// The server's `max_payload`, when not its default (1 MB).
    max_payload: Option<usize>,
}

impl NatsServer {
    /// Starts one, or returns `None` when `nats-server` is not installed and the environment
    /// does not require it (`.ci/run` sets `OMNI_REQUIRE_NATS=1`, where a missing binary fails).
    pub fn start() -> Option<Self> {
        Self::start_with(None)
    }

    /// As [`start`](Self::start), with the server's largest message set to `max_payload` bytes.
    pub fn start_with(max_payload: Option<usize>) -> Option<Self> {
        let installed = Command::new("nats-server").arg("--version").stdout(Stdio::null()).status().is_ok();
        if !installed {
            assert!(
                std::env::var_os("OMNI_REQUIRE_NATS").is_none(),
                "nats-server is required (apt-get install nats-server)"
            );
            eprintln!("nats-server is not installed: skipping (set OMNI_REQUIRE_NATS=1 to make this a failure)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let store = std::env::temp_dir().join(format!("omni-nats-{}-{port}", std::process::id()));
        let mut server = Self { port, store, child: None, max_payload };
        server.spawn();
        Some(server)
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let mut command = Command::new("nats-server");
        command.args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"]).arg(&self.store);
        if let Some(max_payload) = self.max_payload {
            std::fs::create_dir_all(&self.store).expect("a store directory");
            let config = self.store.join("server.conf");
            std::fs::write(&config, format!("max_payload: {max_payload}\n")).expect("writes the server config");
            command.arg("-c").arg(config);
        }
        let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("nats-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not open its port");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (SIGKILL: no goodbye to clients).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again (after [`kill`](Self::kill)) on the same port with the same data.
    pub fn start_again(&mut self) {
        if self.child.is_none() {
            self.spawn();
        }
    }

    /// Whether it is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}
