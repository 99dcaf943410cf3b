//! `POST /containers/create`: `container.Config` inline, plus `HostConfig`
//! and `NetworkingConfig`.

use std::collections::BTreeMap;

use super::{model, Empty, HostConfig, NetworkingConfig, StrSlice};

model! {
    /// The body of `POST /containers/create` (moby `container.CreateRequest`:
    /// an embedded `*container.Config` plus `HostConfig` and
    /// `NetworkingConfig`). Includes fields 20.10 knows and newer ones
    /// (`MacAddress` moved to endpoints later; both accepted).
    pub struct ContainerCreate {
        /// `Hostname`.
        hostname: String = "Hostname",
        /// `Domainname`.
        domainname: String = "Domainname",
        /// `User` (user or user:group).
        user: String = "User",
        /// `AttachStdin`.
        attach_stdin: bool = "AttachStdin",
        /// `AttachStdout`.
        attach_stdout: bool = "AttachStdout",
        /// `AttachStderr`.
        attach_stderr: bool = "AttachStderr",
        /// `ExposedPorts`: `{"80/tcp": {}}`.
        exposed_ports: BTreeMap<String, Empty> = "ExposedPorts",
        /// `Tty`.
        tty: bool = "Tty",
        /// `OpenStdin`.
        open_stdin: bool = "OpenStdin",
        /// `StdinOnce`.
        stdin_once: bool = "StdinOnce",
        /// `Env`: `KEY=value` strings.
        env: Vec<String> = "Env",
        /// `Cmd` (a string is a one-element list, as 20.10's `StrSlice`).
        cmd: Vec<String> = "Cmd" with StrSlice,
        /// `Healthcheck`.
        healthcheck: HealthConfig = "Healthcheck",
        /// `ArgsEscaped` (Windows).
        args_escaped: bool = "ArgsEscaped",
        /// `Image`.
        image: String = "Image",
        /// `Volumes`: anonymous volume mount points, `{"/data": {}}`.
        volumes: BTreeMap<String, Empty> = "Volumes",
        /// `WorkingDir`.
        working_dir: String = "WorkingDir",
        /// `Entrypoint` (string or list).
        entrypoint: Vec<String> = "Entrypoint" with StrSlice,
        /// `NetworkDisabled`.
        network_disabled: bool = "NetworkDisabled",
        /// `MacAddress` (API < 1.44).
        mac_address: String = "MacAddress",
        /// `OnBuild`.
        on_build: Vec<String> = "OnBuild",
        /// `Labels`.
        labels: BTreeMap<String, String> = "Labels",
        /// `StopSignal`.
        stop_signal: String = "StopSignal",
        /// `StopTimeout` in seconds (Go `*int`).
        stop_timeout: i64 = "StopTimeout" as pointer,
        /// `Shell` (string or list).
        shell: Vec<String> = "Shell" with StrSlice,
        /// `HostConfig`.
        host_config: HostConfig = "HostConfig",
        /// `NetworkingConfig`.
        networking_config: NetworkingConfig = "NetworkingConfig",
    }
}

model! {
    /// `Healthcheck` (`HealthcheckConfig` of the image spec); durations in
    /// nanoseconds.
    pub struct HealthConfig {
        /// `Test`: `["CMD", ...]`, `["CMD-SHELL", cmd]`, `["NONE"]`.
        test: Vec<String> = "Test",
        /// `Interval` (ns).
        interval: i64 = "Interval",
        /// `Timeout` (ns).
        timeout: i64 = "Timeout",
        /// `StartPeriod` (ns).
        start_period: i64 = "StartPeriod",
        /// `StartInterval` (ns, API 1.44).
        start_interval: i64 = "StartInterval",
        /// `Retries`.
        retries: i64 = "Retries",
    }
}

model! {
    /// 20.10's `runconfig.ContainerConfigWrapper`: the create body plus a
    /// top-level `Cpuset` and every `HostConfig` field at the top level
    /// (old API versions put them there; the daemon still reads them).
    #[allow(unreachable_pub, reason = "crate-internal; the macro declares every model `pub`")]
    pub struct LegacyContainerCreate {
        /// Top-level `Cpuset`: becomes `HostConfig.CpusetCpus` when that is empty.
        cpuset: String = "Cpuset",
    }
    embed {
        /// The body proper.
        create: ContainerCreate,
        /// `HostConfig` fields found at the top level.
        legacy: HostConfig,
    }
}
