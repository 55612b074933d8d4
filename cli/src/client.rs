//! Talking to a node's HTTP API: where the node is, the office's token, and
//! requests whose refusals come back as readable errors.
//!
//! An `https://` node is checked against the public certificate authorities
//! (Mozilla's list, built in), or against `--cacert FILE` instead: the
//! certificate `yiyi-node tls self-signed` wrote, or the office IT's own
//! authority. Verification is never switched off: a resident's `verify`
//! needs the connection only to fetch what it checks itself, but an
//! office's token must not go to whoever answers.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::Value;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use yiyi_protocol::api::{Action, Answer};

use crate::lang::Lang;

/// Where to send requests and with what token.
pub(crate) struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
    lang: Lang,
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
    /// For an https:// node: trust this PEM certificate (the node's
    /// self-signed one, or the authority that issued it) instead of the
    /// public authorities.
    #[arg(long, env = "YIYI_CACERT", global = true)]
    cacert: Option<PathBuf>,
}

impl Client {
    /// A client for the node these options name.
    pub(crate) fn new(args: &NodeArgs, lang: Lang) -> anyhow::Result<Client> {
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
        let roots = match &args.cacert {
            Some(path) => RootCerts::from(trusted(path, lang)?),
            None => RootCerts::WebPki,
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build()
            .into();
        Ok(Client {
            base,
            token,
            agent,
            lang,
        })
    }

    /// A client for the node at `base`, acting with `token`.
    pub(crate) fn at(base: &str, token: Option<String>, lang: Lang) -> Client {
        Client::new(
            &NodeArgs {
                node: Some(base.to_owned()),
                token,
                data: None,
                cacert: None,
            },
            lang,
        )
        .expect("no file is read without --data or --cacert")
    }

    /// Why a request got no answer, said so that the reader can act: a
    /// certificate that is not trusted names `--cacert`.
    fn unreachable(&self, error: ureq::Error) -> anyhow::Error {
        let base = &self.base;
        let lang = self.lang;
        if let Some(e) = untrusted_certificate(&error) {
            use rustls::{CertificateError, Error::InvalidCertificate};
            let wrong_name = matches!(
                e,
                InvalidCertificate(
                    CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. }
                )
            );
            let message = if wrong_name {
                lang.pick(
                        &format!(
                            "节点 {base} 的证书不是为这个地址签发的（{e}），未连接。请用证书上的名称访问该节点"
                        ),
                        &format!(
                            "the certificate of {base} is not for this name ({e}): not connected. Open the node by a name its certificate holds"
                        ),
                    )
                    .to_owned()
            } else {
                lang.pick(
                        &format!(
                            "节点 {base} 的证书未通过检查（{e}），未连接。若该证书是自签的或由本单位自己的机构签发，请用 --cacert 文件 给出它，并先与节点办公室提供的指纹核对"
                        ),
                        &format!(
                            "the certificate of {base} did not check out ({e}): not connected. If it is self-signed or issued by the office's own authority, give it with --cacert FILE, having compared its fingerprint with the one the office gives"
                        ),
                    )
                    .to_owned()
            };
            return anyhow::Error::msg(message);
        }
        anyhow::Error::new(error).context(
            lang.pick(
                &format!("无法连接节点 {base}"),
                &format!("cannot reach the node at {base}"),
            )
            .to_owned(),
        )
    }

    fn answer(
        &self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> anyhow::Result<Value> {
        let mut response = response.map_err(|e| self.unreachable(e))?;
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
            .map_err(|e| self.unreachable(e))?;
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

    /// `GET path` with the office's token (what only staff may read).
    pub(crate) fn get_office(&self, path: &str) -> anyhow::Result<Value> {
        let Some(token) = &self.token else {
            bail!("this needs the API token: --token, YIYI_TOKEN, or --data DIR of the node");
        };
        self.answer(
            self.agent
                .get(format!("{}{path}", self.base))
                .header("Authorization", &format!("Bearer {token}"))
                .call(),
        )
    }

    /// `POST path` with a JSON body, with the token when `office` (an
    /// office's request) and without (a resident's).
    pub(crate) fn post(
        &self,
        path: &str,
        body: &impl serde::Serialize,
        office: bool,
    ) -> anyhow::Result<Value> {
        let mut request = self.agent.post(format!("{}{path}", self.base));
        if office {
            let Some(token) = &self.token else {
                bail!(
                    "office actions need the API token: --token, YIYI_TOKEN, or --data DIR of the node"
                );
            };
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        self.answer(request.send_json(body))
    }

    /// `POST path` with `bytes` of `media_type` as the body, with the
    /// office's token (a file the office uploads).
    pub(crate) fn post_bytes(
        &self,
        path: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> anyhow::Result<Value> {
        let Some(token) = &self.token else {
            bail!("uploading needs the API token: --token, YIYI_TOKEN, or --data DIR of the node");
        };
        self.answer(
            self.agent
                .post(format!("{}{path}", self.base))
                .header("Authorization", &format!("Bearer {token}"))
                .header("Content-Type", media_type)
                .send(bytes),
        )
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

/// The certificates in the PEM file at `path`, to trust as roots.
fn trusted(path: &Path, lang: Lang) -> anyhow::Result<Vec<Certificate<'static>>> {
    let shown = path.display();
    let pem =
        std::fs::read(path).with_context(|| format!("{} {shown}", lang.pick("读取", "reading")))?;
    let certificates = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(Ok(c)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{shown}: {}", lang.pick("不是 PEM 格式", "not PEM")))?;
    if certificates.is_empty() {
        bail!(
            "{shown}: {}",
            lang.pick("其中没有证书", "holds no certificate")
        );
    }
    Ok(certificates)
}

/// The certificate error under `error`, if the node's certificate is what
/// failed (ureq reports TLS errors of the handshake as I/O errors).
fn untrusted_certificate(error: &ureq::Error) -> Option<&rustls::Error> {
    let tls = match error {
        ureq::Error::Rustls(e) => e,
        ureq::Error::Io(e) => e.get_ref()?.downcast_ref::<rustls::Error>()?,
        _ => return None,
    };
    matches!(
        tls,
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
    )
    .then_some(tls)
}
