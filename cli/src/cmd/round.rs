//! `yiyi round`: residents' rounds (征询) from the command line — staff
//! open one and get the codes to print, close it with its tally; a
//! resident gives her view with her code and keeps the receipt; and
//! `yiyi verify --receipt R --tally HASH` checks that receipt against the
//! signed tally (and recounts it) with nothing but the district key.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use yiyi_protocol::Hash;
use yiyi_protocol::VerifierKey;
use yiyi_protocol::api::Answer;
use yiyi_protocol::light::{self, Bundle};
use yiyi_protocol::proto::entry::Body;
use yiyi_protocol::round::{
    BallotForm, BallotReceipt, CloseRound, OpenRound, OpenedRound, PublishedBallots,
    ReceiptProofView, RoundView,
};
use yiyi_protocol::tally::{self, Ballot, Claim, Receipt, ReceiptProof};

use crate::client::Client;
use crate::lang::Lang;
use crate::output::{self, Output};

/// `yiyi round`.
#[derive(Subcommand)]
pub(crate) enum RoundCommand {
    /// Open a round and issue its codes (prints them, to print as cards).
    Open(OpenArgs),
    /// Give a view with a participation code (a resident's; no token).
    Vote {
        /// The round.
        round: String,
        /// The code from the card.
        #[arg(long)]
        code: String,
        /// The option: its name or its number from 1.
        #[arg(long)]
        choice: String,
        /// A comment for the office.
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Close a round: record its tally.
    Close {
        /// The round.
        round: String,
        /// Closing before its time with codes unused: why.
        #[arg(long, default_value = "")]
        early_reason: String,
    },
    /// Show a round.
    Show {
        /// The round.
        round: String,
    },
    /// The codes still kept for a round (until its tally), to print again.
    Codes {
        /// The round.
        round: String,
    },
}

/// `yiyi round open`.
#[derive(Args)]
pub(crate) struct OpenArgs {
    /// The round's id, e.g. R-1211.
    #[arg(long)]
    id: String,
    /// The meeting (online or card) it gathers views for.
    #[arg(long, default_value = "")]
    meeting: String,
    /// The topic.
    #[arg(long)]
    topic: String,
    /// An evaluation of a topic carried out (满意 / 基本满意 / 不满意).
    #[arg(long)]
    evaluation: bool,
    /// What residents are asked.
    #[arg(long, default_value = "")]
    question: String,
    /// An option; repeat (同意 / 不同意 / 弃权 by default).
    #[arg(long = "option")]
    options: Vec<String>,
    /// How many codes to issue.
    #[arg(long)]
    codes: u32,
    /// Hours until it closes.
    #[arg(long, default_value_t = 72)]
    hours: u32,
}

/// Runs `yiyi round`.
pub(crate) fn run(
    command: RoundCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let path = |id: &str, rest: &str| format!("/api/v1/rounds/{}{rest}", urlencode(id));
    match command {
        RoundCommand::Open(a) => {
            let request = OpenRound {
                id: a.id,
                purpose: if a.evaluation {
                    "evaluation"
                } else {
                    "consultation"
                }
                .into(),
                meeting: a.meeting,
                topic: a.topic,
                question: a.question,
                options: a.options,
                codes: a.codes,
                hours: a.hours,
            };
            let opened: OpenedRound =
                serde_json::from_value(client.post("/api/v1/rounds", &request, true)?)
                    .context("the node's answer is not an opened round")?;
            if output.json {
                println!("{}", serde_json::to_string(&opened)?);
                return Ok(());
            }
            output::recorded(&opened.answer, output, lang);
            {
                println!(
                    "{}",
                    lang.pick(
                        "参与码（打印后裁开、打乱发放，不要登记谁领了哪张）：",
                        "Participation codes (print, cut, shuffle; note nobody's name):"
                    )
                );
                for code in &opened.codes {
                    println!("  {code}");
                }
            }
            Ok(())
        }
        RoundCommand::Vote {
            round,
            code,
            choice,
            comment,
        } => {
            let view: RoundView = serde_json::from_value(client.get(&path(&round, ""))?)?;
            let choice = option_index(&view, &choice)?;
            let form = BallotForm {
                code,
                choice,
                comment,
            };
            let answer: BallotReceipt =
                serde_json::from_value(client.post(&path(&round, "/ballots"), &form, false)?)?;
            if output.json {
                println!("{}", serde_json::to_string(&answer)?);
            } else {
                println!(
                    "{}{}\n{}\n  {}",
                    lang.pick("计入：", "Counted as: "),
                    view.options[answer.choice as usize],
                    lang.pick(
                        "您的回执（计票后凭它核验）：",
                        "Your receipt (check it after the tally):"
                    ),
                    answer.receipt
                );
            }
            Ok(())
        }
        RoundCommand::Close {
            round,
            early_reason,
        } => {
            let answers: Vec<Answer> = serde_json::from_value(client.post(
                &path(&round, "/close"),
                &CloseRound { early_reason },
                true,
            )?)?;
            if output.json {
                println!("{}", serde_json::to_string(&answers)?);
                return Ok(());
            }
            for answer in &answers {
                output::recorded(answer, output, lang);
            }
            Ok(())
        }
        RoundCommand::Show { round } => {
            output::show(&client.get(&path(&round, ""))?, output);
            Ok(())
        }
        RoundCommand::Codes { round } => {
            output::show(&client.get_office(&path(&round, "/codes"))?, output);
            Ok(())
        }
    }
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// An option by its name or its number from 1.
fn option_index(view: &RoundView, given: &str) -> anyhow::Result<u32> {
    let given = given.trim();
    if let Some(i) = view.options.iter().position(|o| o == given) {
        return Ok(i as u32);
    }
    match given.parse::<usize>() {
        Ok(n) if (1..=view.options.len()).contains(&n) => Ok(n as u32 - 1),
        _ => bail!(
            "{given:?} is not an option of round {}: {}",
            view.id,
            view.options.join(", ")
        ),
    }
}

/// `yiyi verify --receipt R --tally HASH`: the tally's entry is checked as
/// a notice is (signature, ledger, parent's cosignature, charter chain up
/// to the trusted district key); then the published ballots are recounted
/// against it, and the receipt's ballot is proved under its root (with
/// the choice she gave, when `choice` is given). Exits 1 naming what
/// failed.
pub(crate) fn verify_receipt(
    client: &Client,
    receipt: &str,
    tally_hash: &str,
    choice: Option<&str>,
    trust: &VerifierKey,
    lang: Lang,
) -> anyhow::Result<()> {
    let text = client.get_text(&format!("/api/v1/notices/{}/bundle", tally_hash.trim()))?;
    let bundle = Bundle::parse(&text).map_err(|f| anyhow::anyhow!("{f}"))?;
    let failed = |what: &str, why: String| -> anyhow::Result<()> {
        eprintln!("  ✗  {what}: {why}");
        eprintln!(
            "\n{}",
            lang.pick(
                "核验未通过：请向社区和街道反映，并保留您的回执。",
                "Not verified: tell the office and the street, and keep your receipt."
            )
        );
        std::process::exit(1)
    };
    let verified = match light::verify(&bundle, trust, None) {
        Ok(v) => v,
        Err(f) => return failed(lang.pick(f.check.zh(), f.check.en()), f.reason),
    };
    let Some(Body::Tally(t)) = &verified.entry.entry.body else {
        bail!("{tally_hash} is not a tally's entry");
    };
    if light::notice_hash(&bundle.notice.extra).to_hex() != tally_hash.trim().to_lowercase() {
        return failed(
            "tally",
            "the node sent another entry than the one asked for".into(),
        );
    }
    println!(
        "  ✓  {}（{}）",
        lang.pick(
            "计票由其机构签署并经上级副署",
            "tally signed by its office and cosigned by the parent"
        ),
        verified.chain.join(" ← ")
    );
    let round = &t.round_id;
    let view: RoundView =
        serde_json::from_value(client.get(&format!("/api/v1/rounds/{}", urlencode(round)))?)?;
    let claim = Claim {
        counts: t.counts.clone(),
        ballots: t.ballots,
        root: Hash::from_slice(&t.ballots_root).context("the tally's root is not 32 bytes")?,
    };
    let published: PublishedBallots = serde_json::from_value(
        client.get(&format!("/api/v1/rounds/{}/ballots", urlencode(round)))?,
    )?;
    let ballots = published
        .ballots
        .iter()
        .map(|b| {
            Ok(Ballot {
                receipt: Receipt(Hash::from_hex(&b.receipt)?),
                choice: b.choice,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Err(e) = tally::recount(round, view.options.len(), &claim, &ballots, None) {
        return failed(lang.pick("复核计票", "recount"), e.to_string());
    }
    println!(
        "  ✓  {} {}",
        lang.pick(
            "按公布的选票重新计数一致：",
            "recounted from the published ballots:"
        ),
        view.options
            .iter()
            .zip(&t.counts)
            .map(|(o, n)| format!("{o} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let receipt = Receipt(
        Hash::from_hex(receipt.trim())
            .context("a receipt is 64 hex digits, as the node gave it")?,
    );
    let expected = choice.map(|c| option_index(&view, c)).transpose()?;
    let proof: ReceiptProofView = match client.get(&format!(
        "/api/v1/rounds/{}/receipts/{receipt}",
        urlencode(round)
    )) {
        Ok(value) => serde_json::from_value(value)?,
        Err(e) => {
            return failed(lang.pick("回执", "receipt"), format!("{receipt}: {e}"));
        }
    };
    let proof = ReceiptProof {
        index: proof.index,
        choice: proof.choice,
        hashes: proof
            .hashes
            .iter()
            .map(|h| Hash::from_hex(h))
            .collect::<Result<_, _>>()?,
    };
    match tally::verify_receipt(round, &claim, &receipt, &proof, expected) {
        Ok(counted) => {
            println!(
                "  ✓  {}“{}”",
                lang.pick("您的回执已计入，计为", "your receipt is counted, as "),
                view.options[counted as usize]
            );
            println!("\n{}", lang.pick("核验通过。", "Verified."));
            Ok(())
        }
        Err(e) => failed(lang.pick("回执", "receipt"), e.to_string()),
    }
}
