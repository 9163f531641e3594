//! A real PostgreSQL server for the tests: a fresh cluster (`initdb`) in a temporary directory, started with
//! `pg_ctl` on a free 127.0.0.1 port, trust authentication, no fsync. PostgreSQL refuses to run as root, so as
//! root every command runs as the `postgres` user (`runuser`). Without the binaries the PostgreSQL tests are
//! skipped with a loud message — except under CI (`CI` set), where they fail (`.ci/run` installs PostgreSQL).
//! A watchdog stops the server and removes its directory when the test process is gone, so a server shared
//! by a whole test binary never outlives it.
#![allow(dead_code, unreachable_pub)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

pub struct PostgresServer {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
    running: Mutex<bool>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The directory of `pg_ctl` and `initdb`: on the PATH, or Debian's `/usr/lib/postgresql/<version>/bin`.
fn binaries() -> Option<PathBuf> {
    let on_path = Command::new("pg_ctl")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if on_path {
        return Some(PathBuf::new());
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

impl PostgresServer {
    /// A new server of its own, or `None` (after saying so loudly) when PostgreSQL is not installed.
    pub fn start() -> Option<Self> {
        let Some(bin) = binaries() else {
            super::missing::missing(
                "the PostgreSQL tests",
                "PostgreSQL",
                "apt-get install -y postgresql",
            );
            return None;
        };
        let dir =
            std::env::temp_dir().join(format!("tja-pg-{}-{}", std::process::id(), free_port()));
        let server = Self {
            bin,
            dir,
            port: free_port(),
            running: Mutex::new(false),
        };
        let dir = server.dir.to_str().unwrap().to_owned();
        server.run(
            "initdb",
            &[
                "-D",
                &dir,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        server.watch();
        server.resume();
        Some(server)
    }

    /// One server for the whole test binary (started at first use).
    pub fn shared() -> Option<Arc<Self>> {
        static SHARED: OnceLock<Option<Arc<PostgresServer>>> = OnceLock::new();
        SHARED.get_or_init(|| Self::start().map(Arc::new)).clone()
    }

    /// `program` from the PostgreSQL binaries, as the `postgres` user when we are root; panics on failure.
    fn run(&self, program: &str, args: &[&str]) {
        let status = self
            .command(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"));
        assert!(status.success(), "{program} {args:?} failed");
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    /// A watchdog that stops the server and removes its directory once this process has exited.
    fn watch(&self) {
        let script = format!(
            "while [ -d /proc/{pid} ]; do sleep 1; done; {pg_ctl} -D {dir} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            pg_ctl = self.bin.join("pg_ctl").display(),
            dir = self.dir.display(),
        );
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", "sh", "-c", &script]);
            command
        } else {
            let mut command = Command::new("sh");
            command.args(["-c", &script]);
            command
        };
        let mut watchdog = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the watchdog starts");
        // It outlives this process on purpose; while the process runs, a thread reaps it.
        std::thread::spawn(move || watchdog.wait());
    }

    /// Starts the server (again), and waits until it accepts connections.
    pub fn resume(&self) {
        let dir = self.dir.to_str().unwrap();
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {dir} -c fsync=off \
             -c full_page_writes=off -c max_connections=200",
            self.port
        );
        let log = Path::new(dir).join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                dir,
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        *self.running.lock().unwrap() = true;
    }

    /// Stops the server at once (`immediate`: like a crash, no checkpoint).
    pub fn halt(&self) {
        let mut running = self.running.lock().unwrap();
        if *running {
            self.run(
                "pg_ctl",
                &["-D", self.dir.to_str().unwrap(), "-m", "immediate", "stop"],
            );
            *running = false;
        }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.halt();
        let _ = Command::new("rm").arg("-rf").arg(&self.dir).status();
    }
}
