//! `yiyi meeting`: scheduling a meeting and recording its seven steps (七定),
//! in order, none before its day.

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::names;

use super::{act, choices};
use crate::client::Client;
use crate::lang::Lang;
use crate::output::{self, Output};

/// `yiyi meeting`.
#[derive(Subcommand)]
pub(crate) enum MeetingCommand {
    /// Schedule a meeting (by default on the next 11th; today for urgent matters).
    Schedule(ScheduleArgs),
    /// Record the next of the seven steps (七定).
    Step(StepArgs),
    /// Show a meeting.
    Show {
        /// The meeting.
        id: String,
    },
    /// Attach policy briefing materials (政策宣讲材料): PDF, PNG, JPEG or plain text files, each kept by the node and committed in the ledger by its SHA-256.
    Brief {
        /// The meeting.
        id: String,
        /// A file; repeat for each.
        #[arg(long = "file", required = true)]
        files: Vec<std::path::PathBuf>,
    },
}

/// The media type of a briefing file, by its extension.
fn media_type(path: &std::path::Path) -> anyhow::Result<&'static str> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    Ok(match extension.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "txt" => "text/plain",
        _ => anyhow::bail!(
            "{}: a briefing file is a PDF, PNG, JPEG or plain-text (.txt) file",
            path.display()
        ),
    })
}

/// Uploads each file, then attaches them to the meeting.
fn brief(
    client: &Client,
    meeting: String,
    files: Vec<std::path::PathBuf>,
) -> anyhow::Result<Action> {
    let mut attached = Vec::new();
    for path in files {
        let kind = media_type(&path)?;
        let bytes =
            std::fs::read(&path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let answer = client.post_bytes(&format!("/api/v1/files?type={kind}"), kind, &bytes)?;
        attached.push(api::Attached {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256: answer["sha256"].as_str().unwrap_or_default().to_owned(),
        });
    }
    Ok(Action::Brief(api::Brief {
        meeting,
        files: attached,
    }))
}

/// `yiyi meeting schedule`.
#[derive(Args)]
pub(crate) struct ScheduleArgs {
    /// The meeting's id, e.g. M-1111.
    #[arg(long)]
    id: String,
    /// A topic on its agenda; repeat.
    #[arg(long = "topic", required = true)]
    topics: Vec<String>,
    /// How it is held.
    #[arg(long, default_value = "meeting", value_parser = choices(names::form_names()))]
    form: String,
    /// Its level (community by default).
    #[arg(long, value_parser = choices(names::meeting_level_names()))]
    level: Option<String>,
    /// YYYY-MM-DD
    #[arg(long)]
    date: Option<String>,
    /// A participant taking part (an id on the list); repeat.
    #[arg(long = "participant")]
    participants: Vec<String>,
    /// Where.
    #[arg(long, default_value = "")]
    place: String,
    /// For a cross-community meeting: the procedure the street set.
    #[arg(long, default_value = "")]
    procedure: String,
    /// For a cross-community meeting: a community taking part (its
    /// verifier key); repeat. Each one notices the meeting.
    #[arg(long = "community")]
    communities: Vec<String>,
    /// The policies to be explained at it (政策宣讲): said in the
    /// meeting's announcement (议前公示).
    #[arg(long, default_value = "")]
    policies: String,
}

impl From<ScheduleArgs> for api::Meeting {
    fn from(a: ScheduleArgs) -> Self {
        api::Meeting {
            id: a.id,
            topics: a.topics,
            level: a.level,
            form: a.form,
            date: a.date,
            participants: a.participants,
            place: a.place,
            procedure: a.procedure,
            communities: a.communities,
            policies: a.policies,
        }
    }
}

/// `yiyi meeting step`.
#[derive(Args)]
pub(crate) struct StepArgs {
    /// The meeting.
    id: String,
    /// The step.
    #[arg(value_parser = choices(names::step_names()))]
    step: String,
    /// What was said or done.
    #[arg(long, default_value = "")]
    summary: String,
    /// For sign-in: an attendee "name,phone" (kept on the node only); repeat.
    #[arg(long = "attendee")]
    attendees: Vec<String>,
    /// For form-result: the result.
    #[arg(long, default_value = "")]
    result: String,
    /// Text added to the result notice.
    #[arg(long, default_value = "")]
    notice_text: String,
}

impl From<StepArgs> for api::Step {
    fn from(a: StepArgs) -> Self {
        let attendees: Option<Vec<Value>> = (!a.attendees.is_empty()).then(|| {
            a.attendees
                .iter()
                .map(|attendee| {
                    let (name, phone) = attendee.split_once(',').unwrap_or((attendee, ""));
                    json!({ "name": name.trim(), "phone": phone.trim() })
                })
                .collect()
        });
        api::Step {
            meeting: a.id,
            step: a.step,
            summary: a.summary,
            attendees,
            result: a.result,
            notice_text: a.notice_text,
        }
    }
}

/// Runs `yiyi meeting`.
pub(crate) fn run(
    command: MeetingCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let action = match command {
        MeetingCommand::Schedule(a) => Action::Meeting(a.into()),
        MeetingCommand::Step(a) => Action::Step(a.into()),
        MeetingCommand::Show { id } => {
            output::show(&client.get(&format!("/api/v1/meetings/{id}"))?, output);
            return Ok(());
        }
        MeetingCommand::Brief { id, files } => brief(client, id, files)?,
    };
    act(client, output, lang, action)
}
