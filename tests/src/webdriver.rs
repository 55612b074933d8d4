//! Just enough W3C WebDriver to drive Debian's headless Chromium through
//! `chromedriver` from a test: start it, open a session, load a page, run
//! a script, read the DOM, take a screenshot. Plain HTTP with `ureq`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Json;

/// A running `chromedriver` with one headless Chromium session; both end
/// when dropped.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium (flags from
    /// `shared/notes/browser.md`: no sandbox as root, no network chatter).
    pub fn start() -> Browser {
        Browser::start_with(&[])
    }

    /// As [`Browser::start`], with more Chromium flags (a host resolver
    /// rule, a certificate's public key to trust).
    pub fn start_with(extra: &[String]) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt-get install chromium chromium-driver; .ci/run does)");
        let base = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while ureq::get(format!("{base}/status")).call().is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().expect("a profile directory");
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("chromium is installed");
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1000,900",
        ]
        .map(str::to_owned)
        .into();
        // Chromium honours --ignore-certificate-errors-spki-list only with a
        // profile directory of the test's own.
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.extend_from_slice(extra);
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        }}});
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            _profile: profile,
        };
        let answer = browser.post("/session", capabilities);
        browser.session = answer.str_at("/sessionId").to_owned();
        browser
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent
            .post(format!("{}{path}", self.base))
            .send_json(body)
            .unwrap_or_else(|e| panic!("WebDriver {path}: {e}"));
        let status = response.status();
        let value: Value = response
            .body_mut()
            .read_json()
            .expect("JSON from chromedriver");
        // The whole answer on failure: an error need not carry a `value`.
        assert!(status.is_success(), "WebDriver {path}: {status} {value}");
        value.at("/value").clone()
    }

    /// Loads `url`.
    pub fn open(&self, url: &str) {
        self.post(
            &format!("/session/{}/url", self.session),
            json!({ "url": url }),
        );
    }

    /// Runs `script` (a function body; `return` gives the result).
    pub fn run(&self, script: &str) -> Value {
        self.post(
            &format!("/session/{}/execute/sync", self.session),
            json!({ "script": script, "args": [] }),
        )
    }

    /// Chooses the files at `paths` in the file input `selector` (CSS), as
    /// a person picking them in the dialog does: WebDriver's element send
    /// keys, one path a line.
    pub fn choose_files(&self, selector: &str, paths: &[&std::path::Path]) {
        let text: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        self.type_text(selector, &text.join("\n"));
    }

    /// Types `text` into the field `selector` (CSS) key by key, as a person
    /// does (WebDriver's element send keys; a newline is Enter).
    pub fn type_text(&self, selector: &str, text: &str) {
        let found = self.post(
            &format!("/session/{}/element", self.session),
            json!({ "using": "css selector", "value": selector }),
        );
        let element = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {selector}"))
            .to_owned();
        self.post(
            &format!("/session/{}/element/{element}/value", self.session),
            json!({ "text": text }),
        );
    }

    /// Waits up to 30 s for `script` to return something truthy; returns it.
    pub fn wait_for(&self, what: &str, script: &str) -> Value {
        let start = Instant::now();
        loop {
            let value = self.run(script);
            if !(value.is_null() || value == false || value == "") {
                return value;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The cookies the browser holds for the page's site, as WebDriver
    /// gives them (`name`, `value`, `secure`, `httpOnly`, …).
    pub fn cookies(&self) -> Vec<Value> {
        let mut response = ureq::get(format!("{}/session/{}/cookie", self.base, self.session))
            .call()
            .expect("the cookies");
        let value: Value = response.body_mut().read_json().expect("JSON");
        value.at("/value").as_array().cloned().unwrap_or_default()
    }

    /// A PNG screenshot of the page.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let mut response = ureq::get(format!("{}/session/{}/screenshot", self.base, self.session))
            .call()
            .expect("a screenshot");
        let value: Value = response.body_mut().read_json().expect("JSON");
        base64::engine::general_purpose::STANDARD
            .decode(value.str_at("/value"))
            .expect("base64 PNG")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = ureq::delete(format!("{}/session/{}", self.base, self.session)).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
