//! Talking to a node's HTTP API: where the node is, the office's token, and
//! requests whose refusals come back as readable errors.

use std::path::PathBuf;

use anyhow::{Context, bail};
use serde_json::Value;
use yiyi_protocol::api::{Action, Answer};

/// Where to send requests and with what token.
pub(crate) struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

/// The node and token options every office command takes.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct NodeArgs {
    /// The node's API (default: http://127.0.0.1:8111).
    #[arg(long, env = "YIYI_NODE", global = true)]
    node: Option<String>,
    /// The office's API token (default: from YIYI_TOKEN, or api.token in --data).
    #[arg(long, env = "YIYI_TOKEN", global = true, hide_env_values = true)]
    token: Option<String>,
    /// The node's data directory, to read the token from.
    #[arg(long, env = "YIYI_DATA", global = true)]
    data: Option<PathBuf>,
}

impl Client {
    /// A client for the node these options name.
    pub(crate) fn new(args: &NodeArgs) -> anyhow::Result<Client> {
        let base = args
            .node
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1:8111".into())
            .trim_end_matches('/')
            .to_owned();
        let token = match (&args.token, &args.data) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(data)) => {
                let path = data.join("api.token");
                Some(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading the API token from {}", path.display()))?
                        .trim()
                        .to_owned(),
                )
            }
            (None, None) => None,
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Client { base, token, agent })
    }

    /// A client for the node at `base`, acting with `token`.
    pub(crate) fn at(base: &str, token: Option<String>) -> Client {
        Client::new(&NodeArgs {
            node: Some(base.to_owned()),
            token,
            data: None,
        })
        .expect("no file is read without --data")
    }

    fn answer(
        &self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> anyhow::Result<Value> {
        let mut response =
            response.with_context(|| format!("cannot reach the node at {}", self.base))?;
        let status = response.status();
        let body: Value = response
            .body_mut()
            .read_json()
            .with_context(|| format!("the node answered {status} without JSON"))?;
        if status.is_success() {
            return Ok(body);
        }
        let message = body["message"].as_str().unwrap_or("no reason given");
        bail!("{message} ({status})")
    }

    /// `GET path`.
    pub(crate) fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.answer(self.agent.get(format!("{}{path}", self.base)).call())
    }

    /// The node's base URL.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// `GET path` as text (bundles, checkpoints).
    pub(crate) fn get_text(&self, path: &str) -> anyhow::Result<String> {
        let mut response = self
            .agent
            .get(format!("{}{path}", self.base))
            .call()
            .with_context(|| format!("cannot reach the node at {}", self.base))?;
        let status = response.status();
        let text = response.body_mut().read_to_string()?;
        if status.is_success() {
            return Ok(text);
        }
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or(text);
        bail!("{message} ({status})")
    }

    /// Posts an office action (needs the token); the node's answer.
    pub(crate) fn act(&self, action: &Action) -> anyhow::Result<Answer> {
        let Some(token) = &self.token else {
            bail!(
                "office actions need the API token: --token, YIYI_TOKEN, or --data DIR of the node"
            );
        };
        let answer = self.answer(
            self.agent
                .post(format!("{}/api/v1/actions", self.base))
                .header("Authorization", &format!("Bearer {token}"))
                .send_json(action),
        )?;
        serde_json::from_value(answer).context("the node's answer is not an action's answer")
    }
}
