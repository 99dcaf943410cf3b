//! A second, throwaway dockerd on its own socket, data and exec roots, in a
//! network namespace of its own: something the robustness tests can stop
//! and start without disturbing the machine's own engine.
//!
//! The namespace is not optional: a dockerd started with `--bridge none`
//! deletes the host's `docker0` interface on startup (learned the hard way:
//! the machine's engine could then start no container on its default
//! bridge). Inside `unshare --net` it can only delete its own nothing.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A throwaway dockerd, killed on drop.
#[derive(Debug)]
pub struct Dockerd {
    dir: PathBuf,
    child: Option<Child>,
    loopback: bool,
}

impl Dockerd {
    /// Whether this machine can run one (root, and `dockerd` installed).
    pub fn possible() -> Result<(), String> {
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| e.to_string())?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err("not root".to_owned());
        }
        let found = Command::new("sh")
            .args(["-c", "command -v dockerd && command -v unshare"])
            .output()
            .map_err(|e| e.to_string())?;
        if found.status.success() {
            Ok(())
        } else {
            Err("no dockerd or unshare on PATH".to_owned())
        }
    }

    /// A started throwaway dockerd in a fresh scratch directory, or `None`
    /// (after saying why) where this machine cannot run one; in CI it must,
    /// so there it panics instead of skipping.
    #[track_caller]
    pub fn throwaway(label: &str) -> Option<(Dockerd, PathBuf)> {
        Dockerd::throwaway_with(label, false)
    }

    /// Like [`Dockerd::throwaway`], with the namespace's loopback up
    /// ([`Dockerd::with_loopback`]; needs `ip`).
    #[track_caller]
    pub fn throwaway_loopback(label: &str) -> Option<(Dockerd, PathBuf)> {
        Dockerd::throwaway_with(label, true)
    }

    #[track_caller]
    fn throwaway_with(label: &str, loopback: bool) -> Option<(Dockerd, PathBuf)> {
        let possible = Dockerd::possible().and_then(|()| {
            if loopback {
                Dockerd::loopback_possible()
            } else {
                Ok(())
            }
        });
        if let Err(why) = possible {
            eprintln!("skipped: cannot run a throwaway dockerd ({why})");
            assert!(
                !crate::engine_required(),
                "CI must be able to run a throwaway dockerd: {why}"
            );
            return None;
        }
        let dir = crate::scratch_dir(label);
        let mut d = Dockerd::new(&dir);
        d.loopback = loopback;
        if let Err(why) = d.start() {
            panic!("throwaway dockerd in {}: {why}", dir.display());
        }
        Some((d, dir))
    }

    /// Prepares (does not start) a dockerd rooted in `dir`.
    pub fn new(dir: &Path) -> Dockerd {
        let _ = std::fs::create_dir_all(dir);
        Dockerd {
            dir: dir.to_path_buf(),
            child: None,
            loopback: false,
        }
    }

    /// Brings the namespace's `lo` up before dockerd starts (on every
    /// start): a fresh network namespace has it down, and a Swarm manager
    /// advertising 127.0.0.1 needs it.
    pub fn with_loopback(mut self) -> Dockerd {
        self.loopback = true;
        self
    }

    /// Whether `ip` (iproute2) is there for [`Dockerd::with_loopback`].
    pub fn loopback_possible() -> Result<(), String> {
        let found = Command::new("sh")
            .args(["-c", "command -v ip"])
            .output()
            .map_err(|e| e.to_string())?;
        if found.status.success() {
            Ok(())
        } else {
            Err("no ip (iproute2) on PATH".to_owned())
        }
    }

    /// The pid of the running dockerd (`unshare` and the loopback shell
    /// exec it, so it is the child's), `None` when stopped.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Its socket as `docker -H` and `serve --upstream` take it.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("d.sock")
    }

    /// Starts it and waits until it answers `/_ping`.
    pub fn start(&mut self) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("dockerd.log"))
            .map_err(|e| e.to_string())?;
        let log2 = log.try_clone().map_err(|e| e.to_string())?;
        let mut c = Command::new("unshare");
        c.args(["--net", "--"]);
        if self.loopback {
            c.args(["sh", "-c", "ip link set lo up && exec \"$@\"", "sh"]);
        }
        let child = c
            .args(["dockerd", "--data-root"])
            .arg(self.dir.join("data"))
            .arg("--exec-root")
            .arg(self.dir.join("exec"))
            .arg("--pidfile")
            .arg(self.dir.join("pid"))
            .arg("-H")
            .arg(self.host())
            .args(["--bridge", "none", "--ip6tables=false"])
            // a swarm engine (loopback up) keeps its iptables rules, which
            // live in its own network namespace: they are what keeps
            // tasks of different tenants apart on `docker_gwbridge`
            // (`enable_icc=false`); the others need none
            .arg(if self.loopback {
                "--iptables=true"
            } else {
                "--iptables=false"
            })
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| format!("cannot start dockerd: {e}"))?;
        self.child = Some(child);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            let ok = ping(&self.socket());
            if ok {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(format!(
            "throwaway dockerd did not come up; log:\n{}",
            std::fs::read_to_string(self.dir.join("dockerd.log")).unwrap_or_default()
        ))
    }

    /// Kills it outright (SIGKILL: no shutdown of its own, as a crash or
    /// the OOM killer ends it; its socket file stays behind) and reaps it.
    /// Its managed containerd survives, as it would, and the next
    /// [`Dockerd::start`] finds it again. The bind mount dockerd makes of
    /// its data root onto itself is undone here (dockerd makes it again at
    /// start, and undoes only one at its clean stop): without that, the
    /// scratch directory would stay mounted after the test.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            self.unmount_data();
        }
    }

    /// Detaches dockerd's bind mount of its own data root onto itself, if
    /// one is left. Lazily: the containerd that outlives a killed dockerd
    /// still has files open under it, so a plain umount is refused (busy).
    fn unmount_data(&self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.join("data"))
            .stderr(Stdio::null())
            .status();
    }

    /// Stops it (SIGTERM, then SIGKILL after 15 s) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(15) {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Whether the engine on `socket` answers `GET /_ping` with 200.
fn ping(socket: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 12];
    s.read_exact(&mut buf).is_ok() && buf.get(9..12) == Some(b"200".as_slice())
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        self.stop();
        // a clean stop undoes the mount; after a kill it may be left
        self.unmount_data();
        // Its image layers and state; it ran in its own network namespace
        // and never bind-mounted anything, so nothing outside is reachable.
        for d in ["data", "exec"] {
            let _ = std::fs::remove_dir_all(self.dir.join(d));
        }
    }
}
