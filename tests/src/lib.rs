//! Helpers for the multi-process integration tests in `tests/tests/`: they run
//! the real `yiyi` and `yiyi-node` binaries, which `cargo test --workspace`
//! builds before any test runs.

pub mod federation;
pub mod hostile;
pub mod https;
pub mod webdriver;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// The path of a workspace binary, next to the test executable's directory.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>; a benchmark
    // binary runs from target/<profile> itself.
    let parent = exe.parent().expect("a binary's directory");
    let dir = if parent.ends_with("deps") {
        parent.parent().expect("target/<profile>")
    } else {
        parent
    };
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test --workspace`, which builds it",
        path.display()
    );
    path
}

/// A benchmark's numeric option `name N` from its command line, else
/// `default`.
pub fn bench_arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

/// The workspace binary `name` with the command line `line` as its
/// arguments (split by [`words`]) and `LANG=en_US.UTF-8`, so its messages
/// are English unless the line says `--lang` (or the caller sets `LANG`
/// again); not yet run.
pub fn command(name: &str, line: &str) -> Command {
    let mut command = Command::new(binary(name));
    // LC_ALL and LC_MESSAGES would override LANG.
    command
        .args(words(line))
        .env("LANG", "en_US.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    command
}

/// Runs a workspace binary with the command line `line` (its arguments,
/// split by [`words`]) and English messages.
pub fn run(name: &str, line: &str) -> Output {
    command(name, line).output().expect("the binary runs")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// A command line split as a shell would: words apart on spaces, a quoted
/// word ('…' or "…") kept whole, so tests write `topic accept T-1` as people
/// type it.
pub fn words(line: &str) -> Vec<String> {
    shell_words::split(line).unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// Reading a JSON answer by a JSON pointer (`/notices/0/hash`) that fails
/// loudly, naming the path and the document, where indexing would read
/// `Null` and a test would wait for it in vain.
pub trait Json {
    /// The value at `pointer`; panics if there is none.
    fn at(&self, pointer: &str) -> &Value;
    /// The string at `pointer`; panics if there is none or it is no string.
    fn str_at(&self, pointer: &str) -> &str;
    /// The number at `pointer`; panics if there is none or it is no `u64`.
    fn u64_at(&self, pointer: &str) -> u64;
    /// The array at `pointer`; panics if there is none or it is no array.
    fn list_at(&self, pointer: &str) -> &[Value];
}

impl Json for Value {
    #[track_caller]
    fn at(&self, pointer: &str) -> &Value {
        self.pointer(pointer)
            .unwrap_or_else(|| panic!("no {pointer} in {self}"))
    }

    #[track_caller]
    fn str_at(&self, pointer: &str) -> &str {
        self.at(pointer)
            .as_str()
            .unwrap_or_else(|| panic!("{pointer} is no string in {self}"))
    }

    #[track_caller]
    fn u64_at(&self, pointer: &str) -> u64 {
        self.at(pointer)
            .as_u64()
            .unwrap_or_else(|| panic!("{pointer} is no number in {self}"))
    }

    #[track_caller]
    fn list_at(&self, pointer: &str) -> &[Value] {
        self.at(pointer)
            .as_array()
            .unwrap_or_else(|| panic!("{pointer} is no array in {self}"))
    }
}

/// Today's date in Asia/Shanghai, as meetings are dated.
pub fn today() -> String {
    today_plus(0)
}

/// The date `days` after today in Asia/Shanghai.
pub fn today_plus(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_millis() as i64;
    yiyi_protocol::rules::Date::in_shanghai(now)
        .plus_days(days)
        .to_string()
}

/// A running `yiyi-node` process on loopback, killed when dropped.
pub struct Node {
    child: Option<Child>,
    /// The HTTP API's base URL.
    pub url: String,
    /// The libp2p address peers dial (ending `/p2p/<peer id>`).
    pub p2p: String,
    /// The data directory.
    pub data: PathBuf,
    /// The node's verifier key.
    pub vkey: String,
    /// Where the process's log (stderr) goes.
    pub log: PathBuf,
    /// The certificate an HTTPS node serves, which this harness's requests
    /// and `yiyi` commands trust ([`Node::serve_https`]).
    pub cacert: Option<PathBuf>,
    /// What this harness's requests go through.
    agent: ureq::Agent,
    /// The temporary directory holding the data directory, the log and any
    /// certificate; removed when the last clone of it goes.
    dir: std::sync::Arc<tempfile::TempDir>,
}

impl Node {
    /// Initialises a community node called `name` and starts it.
    pub fn start(name: &str) -> Node {
        Node::start_with(name, "")
    }

    /// As [`Node::start`], with more `run` arguments (peers, follows) as a
    /// command line, split by [`words`].
    pub fn start_with(name: &str, run: &str) -> Node {
        Node::start_level(name, "community", run)
    }

    /// A node of `level` (district, street, community) called `name` (kept
    /// whole, whatever it holds), started with the `run` line.
    pub fn start_level(name: &str, level: &str, run: &str) -> Node {
        Node::start_init_args(&["--level", level, "--name", name], run)
    }

    /// A node made with the `init` line (its arguments besides `--data`,
    /// split by [`words`]), started with the `run` line.
    pub fn start_init(init: &str, run: &str) -> Node {
        Node::start_init_args(&words(init), run)
    }

    /// As [`Node::start_init`], with the `init` arguments already apart.
    fn start_init_args<S: AsRef<std::ffi::OsStr>>(init_args: &[S], run: &str) -> Node {
        let dir = std::sync::Arc::new(tempfile::tempdir().expect("temp dir"));
        let data = dir.path().join("node");
        let init = command("yiyi-node", &format!("init --data {}", data.display()))
            .args(init_args)
            .output()
            .expect("yiyi-node init runs");
        assert!(init.status.success(), "{init:?}");
        let vkey = String::from_utf8(init.stdout)
            .expect("UTF-8")
            .trim()
            .to_owned();
        let mut node = Node {
            child: None,
            url: String::new(),
            p2p: String::new(),
            log: dir.path().join("node.log"),
            data,
            vkey,
            cacert: None,
            agent: ureq::agent(),
            dir,
        };
        node.run(run);
        node
    }

    /// (Re)starts the process on the same data directory, with more `run`
    /// arguments as a command line ("" for none), split by [`words`].
    pub fn run(&mut self, run: &str) {
        let mut child = command(
            "yiyi-node",
            &format!(
                "run --data {} --api 127.0.0.1:0 --listen /ip4/127.0.0.1/tcp/0 {run}",
                self.data.display()
            ),
        )
        .stdout(Stdio::piped())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.log)
                .expect("the node's log file"),
        )
        .spawn()
        .expect("yiyi-node run starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        lines
            .read_line(&mut line)
            .expect("the node prints its API address");
        self.url = line
            .trim()
            .strip_prefix("api ")
            .expect("an api line")
            .to_owned();
        line.clear();
        lines
            .read_line(&mut line)
            .expect("the node prints its p2p address");
        self.p2p = line
            .trim()
            .strip_prefix("p2p ")
            .expect("a p2p line")
            .to_owned();
        self.child = Some(child);
    }

    /// Restarts the node serving HTTPS with a certificate for 127.0.0.1 and
    /// localhost made by `yiyi-node tls self-signed`, which this harness's
    /// requests and `yiyi` commands trust from then on; `run` as for
    /// [`Node::run`].
    pub fn serve_https(&mut self, run: &str) {
        let (cert, key) = (
            self.dir.path().join("node.crt"),
            self.dir.path().join("node.key"),
        );
        let made = self::run(
            "yiyi-node",
            &format!(
                "tls self-signed --name 127.0.0.1 --name localhost --cert {} --key {}",
                cert.display(),
                key.display()
            ),
        );
        assert!(made.status.success(), "{made:?}");
        self.agent = ureq::Agent::config_builder()
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(https::roots(&cert))
                    .build(),
            )
            .build()
            .into();
        self.kill();
        self.run(&format!(
            "{run} --tls-cert {} --tls-key {}",
            cert.display(),
            key.display()
        ));
        assert!(self.url.starts_with("https://"), "{}", self.url);
        self.cacert = Some(cert);
    }

    /// Asks the process to stop (SIGTERM) and waits for it to exit
    /// cleanly within `within`; else kills it and says how it ended, with
    /// the end of its log.
    pub fn terminate(&mut self, within: std::time::Duration) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Err("the node was not running".into());
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let start = std::time::Instant::now();
        let ended = loop {
            if let Ok(Some(status)) = child.try_wait() {
                if status.success() {
                    return Ok(());
                }
                break format!("it exited with {status}");
            }
            if start.elapsed() >= within {
                let _ = child.kill();
                let _ = child.wait();
                break format!("it was still running after {within:?}");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        Err(format!(
            "{} did not stop cleanly on SIGTERM: {ended}; its log ends:\n{tail}",
            self.url
        ))
    }

    /// The node's API token. Tests read as the office, so that polling is
    /// not held to the public's per-address rate.
    pub fn token(&self) -> String {
        std::fs::read_to_string(self.data.join("api.token"))
            .expect("the node's token")
            .trim()
            .to_owned()
    }

    /// Records `action` by `POST /api/v1/actions` with the office's token,
    /// as the console and the CLI end: fast enough to publish thousands of
    /// notices. Panics if the office refuses it.
    pub fn act(&self, action: Value) {
        self.agent
            .post(format!("{}/api/v1/actions", self.url))
            .header("Authorization", &format!("Bearer {}", self.token()))
            .send_json(action)
            .expect("an office action");
    }

    /// The notices of `kind` about `topic` the node lists
    /// (`GET /api/v1/notices`).
    pub fn notices_of(&self, kind: yiyi_protocol::proto::notice::Kind, topic: &str) -> Vec<Value> {
        self.get("/api/v1/notices")
            .list_at("/notices")
            .iter()
            .filter(|n| n.at("/kind") == kind as i32 && n.str_at("/topic") == topic)
            .cloned()
            .collect()
    }

    /// Runs `yiyi-node verify` on the (stopped) node's data directory and
    /// panics unless every ledger verifies end to end; returns its report.
    pub fn verify_store(&self) -> String {
        let verify = command(
            "yiyi-node",
            &format!("verify --data {}", self.data.display()),
        )
        .output()
        .expect("yiyi-node verify runs");
        assert!(
            verify.status.success(),
            "{}",
            String::from_utf8_lossy(&verify.stderr)
        );
        String::from_utf8_lossy(&verify.stdout).into_owned()
    }

    /// `GET path` from the node's API, as its office (with the token) or as
    /// a resident (without); the body as text, or why there is none.
    fn fetch(&self, path: &str, as_office: bool) -> Result<String, String> {
        let mut request = self.agent.get(format!("{}{path}", self.url));
        if as_office {
            request = request.header("authorization", format!("Bearer {}", self.token()));
        }
        let mut response = request.call().map_err(|e| e.to_string())?;
        response
            .body_mut()
            .read_to_string()
            .map_err(|e| e.to_string())
    }

    /// `GET path` as the office, as JSON; panics on an error status.
    #[track_caller]
    pub fn get(&self, path: &str) -> Value {
        let text = self
            .fetch(path, true)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    /// `GET path` as the office, as text, or `None` on an error status.
    pub fn get_text(&self, path: &str) -> Option<String> {
        self.fetch(path, true).ok()
    }

    /// `GET path` as a resident would (no token), as text; panics on an
    /// error status.
    #[track_caller]
    pub fn get_public_text(&self, path: &str) -> String {
        self.fetch(path, false)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// `GET path` as a resident would (no token), as JSON.
    #[track_caller]
    pub fn get_public(&self, path: &str) -> Value {
        let text = self.get_public_text(path);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    /// How many entries of the ledger `log` (its key in hex) the node
    /// holds; 0 if none.
    pub fn log_size(&self, log: &str) -> u64 {
        self.held(|l| l.str_at("/log") == log)
    }

    /// How many entries of its own ledger the node holds.
    pub fn own_size(&self) -> u64 {
        self.held(|l| l.at("/own") == true)
    }

    /// The size of the first ledger at `/api/v1/logs` that `matches`.
    fn held(&self, matches: impl Fn(&Value) -> bool) -> u64 {
        self.get("/api/v1/logs")
            .list_at("/logs")
            .iter()
            .find(|l| matches(l))
            .map_or(0, |l| l.u64_at("/size"))
    }

    /// The value of the Prometheus metric `name` at `/metrics`.
    pub fn metric(&self, name: &str) -> u64 {
        let metrics = self.get_text("/metrics").expect("the node's metrics");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} in {metrics}"))
            .parse()
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// Runs `yiyi --json LINE` as this node's office (its API and token,
    /// English messages), the line split as a shell would ([`words`]);
    /// panics unless it succeeds, and returns the JSON it printed.
    #[track_caller]
    pub fn yiyi(&self, line: &str) -> Value {
        self.yiyi_args(&words(line))
    }

    /// As [`Node::yiyi`], with the arguments already apart: for text made
    /// at run time that may hold quotes.
    #[track_caller]
    pub fn yiyi_args<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(&self, args: &[S]) -> Value {
        let out = self.yiyi_output(args);
        assert!(
            out.status.success(),
            "yiyi {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "yiyi {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Runs `yiyi --json ARGS` as this node's office and returns what it
    /// did, whether it succeeded or not.
    pub fn yiyi_output<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Output {
        let mut yiyi = command("yiyi", "--json");
        if let Some(cacert) = &self.cacert {
            yiyi.env("YIYI_CACERT", cacert);
        }
        yiyi.args(args)
            .env("YIYI_NODE", &self.url)
            .env("YIYI_DATA", &self.data)
            .stdin(Stdio::null())
            .output()
            .expect("yiyi runs")
    }

    /// Runs `yiyi LINE` as this node's office, which must be refused and
    /// leave the node's ledger as it was; returns the message.
    #[track_caller]
    pub fn refused(&self, line: &str) -> String {
        let args = words(line);
        let size = self.own_size();
        let out = self.yiyi_output(&args);
        assert!(!out.status.success(), "yiyi {line} was accepted");
        assert_eq!(self.own_size(), size, "yiyi {line} changed the ledger");
        String::from_utf8(out.stderr).expect("a UTF-8 message")
    }

    /// Raises a minor daily-life topic from a resident, as the office.
    pub fn propose(&self, id: &str, title: &str) -> Value {
        self.yiyi(&format!(
            "topic propose --id {id} --title '{title}' --category daily-life --scale minor --source resident"
        ))
    }

    /// Raises a topic and declines it as already regulated, which
    /// publishes a notice; returns the notice's entry hash.
    pub fn decline(&self, id: &str, title: &str) -> String {
        self.propose(id, title);
        let declined = self.yiyi(&format!(
            "topic decline {id} --citation 《济南市停车场管理办法》 --explanation 道路停车位由交警部门划定"
        ));
        declined.str_at("/notices/0/hash").to_owned()
    }

    /// Raises a minor topic, accepts it, consults on it at a card meeting
    /// today and classifies it as a suggestion (建议件) with this proposed
    /// solution; the result is published.
    pub fn consult_to_suggestion(&self, topic: &str, title: &str, solution: &str) {
        self.propose(topic, title);
        self.yiyi(&format!("topic accept {topic}"));
        let meeting = format!("M-{topic}");
        self.yiyi(&format!(
            "meeting schedule --id {meeting} --topic {topic} --form card --date {}",
            today()
        ));
        self.steps_through_discussion(&meeting);
        self.yiyi(&format!(
            "meeting step {meeting} form-result --result '居民一致同意：{title}，需上级解决'"
        ));
        self.yiyi(&format!(
            "outcome {topic} --meeting {meeting} --class suggestion --proposed-solution '{solution}'"
        ));
        self.yiyi(&format!("meeting step {meeting} publish-result"));
    }

    /// Records a meeting's first five steps, sign-in (one attendee) to
    /// discussion, as the office; `form-result` is next.
    pub fn steps_through_discussion(&self, meeting: &str) {
        self.yiyi(&format!(
            "meeting step {meeting} sign-in --attendee 张三,13800000000"
        ));
        for step in [
            "explain-topic",
            "introduce-participants",
            "read-rules",
            "discuss",
        ] {
            self.yiyi(&format!("meeting step {meeting} {step}"));
        }
    }

    /// Waits up to 30 s for this node to be connected to `other` (its
    /// peer list names `other`'s peer id).
    pub fn wait_connected(&self, other: &Node) {
        let peer = other.p2p.rsplit('/').next().expect("a /p2p/ address");
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(30) {
            let peers = self.get("/api/v1/peers");
            if peers
                .list_at("/peers")
                .iter()
                .any(|p| p.str_at("/peer") == peer)
            {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("{} never connected to {peer}", self.url);
    }

    /// The port of the node's libp2p address, to restart it where its
    /// peers will redial it.
    pub fn p2p_port(&self) -> String {
        self.p2p
            .split('/')
            .skip_while(|part| *part != "tcp")
            .nth(1)
            .expect("a tcp port in the p2p address")
            .to_owned()
    }

    /// The running process's id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the node runs").id()
    }

    /// Kills the process (SIGKILL), keeping the data directory.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}
