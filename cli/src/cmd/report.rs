//! Carrying out and the residents' say, the fourth and fifth of the five
//! steps (五步): `yiyi outcome` (分流分类), `supervise`, `progress`,
//! `followup` (回访) and `evaluate` (评议).

use clap::Args;
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::names;

use super::{act, choices};
use crate::client::Client;
use crate::lang::Lang;
use crate::output::Output;

/// `yiyi outcome`: classify a topic's result (分流分类).
#[derive(Args)]
pub(crate) struct OutcomeArgs {
    /// The topic.
    topic: String,
    /// The meeting that consulted on it.
    #[arg(long)]
    meeting: String,
    /// The outcome class.
    #[arg(long, value_parser = choices(names::outcome_class_names()))]
    class: String,
    /// Who carries it out.
    #[arg(long, default_value = "")]
    responsible: String,
    /// How.
    #[arg(long, default_value = "")]
    measures: String,
    /// YYYY-MM-DD
    #[arg(long, default_value = "")]
    deadline: String,
    /// Days between progress notices (promised items).
    #[arg(long, default_value_t = 0)]
    notice_period: u32,
    /// For a shelved item: why.
    #[arg(long, default_value = "")]
    explanation: String,
    /// For a suggestion: the solution proposed to the office above.
    #[arg(long, default_value = "")]
    proposed_solution: String,
    /// A supervisor; repeat.
    #[arg(long = "supervisor")]
    supervisors: Vec<String>,
    /// It spends public money (the oversight bodies step in).
    #[arg(long)]
    spends_money: bool,
}

/// `yiyi supervise`: supervisors and oversight bodies of an item.
#[derive(Args)]
pub(crate) struct SuperviseArgs {
    /// The topic.
    topic: String,
    /// A supervisor; repeat.
    #[arg(long = "supervisor")]
    supervisors: Vec<String>,
    /// An oversight body; repeat.
    #[arg(long = "oversight-body")]
    oversight_bodies: Vec<String>,
    /// A note.
    #[arg(long, default_value = "")]
    note: String,
}

/// `yiyi progress`.
#[derive(Args)]
pub(crate) struct ProgressArgs {
    /// The topic.
    topic: String,
    /// The progress.
    #[arg(long)]
    text: String,
    /// The item is done.
    #[arg(long)]
    completed: bool,
    /// Text added to the progress notice.
    #[arg(long, default_value = "")]
    notice_text: String,
}

/// `yiyi followup`.
#[derive(Args)]
pub(crate) struct FollowupArgs {
    /// The topic.
    topic: String,
    /// What the visit found.
    #[arg(long)]
    summary: String,
    /// Households visited.
    #[arg(long, default_value_t = 0)]
    households: u32,
}

/// `yiyi evaluate`.
#[derive(Args)]
pub(crate) struct EvaluateArgs {
    /// The topic.
    topic: String,
    /// Residents satisfied (满意).
    #[arg(long)]
    satisfied: u32,
    /// Basically satisfied (基本满意).
    #[arg(long)]
    basically_satisfied: u32,
    /// Dissatisfied (不满意).
    #[arg(long)]
    dissatisfied: u32,
}

/// One of this module's commands.
pub(crate) enum Report {
    Outcome(OutcomeArgs),
    Supervise(SuperviseArgs),
    Progress(ProgressArgs),
    Followup(FollowupArgs),
    Evaluate(EvaluateArgs),
}

/// Runs `yiyi outcome`, `supervise`, `progress`, `followup` or `evaluate`.
pub(crate) fn run(
    report: Report,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let action = match report {
        Report::Outcome(a) => Action::Outcome(api::Outcome {
            topic: a.topic,
            meeting: a.meeting,
            class: a.class,
            responsible_party: a.responsible,
            measures: a.measures,
            deadline: a.deadline,
            notice_period_days: a.notice_period,
            explanation: a.explanation,
            proposed_solution: a.proposed_solution,
            supervisors: a.supervisors,
            spends_money: a.spends_money,
        }),
        Report::Supervise(a) => Action::Supervise(api::Supervise {
            topic: a.topic,
            supervisors: a.supervisors,
            oversight_bodies: a.oversight_bodies,
            note: a.note,
        }),
        Report::Progress(a) => Action::Progress(api::Progress {
            topic: a.topic,
            text: a.text,
            completed: a.completed,
            notice_text: a.notice_text,
        }),
        Report::Followup(a) => Action::Followup(api::Followup {
            topic: a.topic,
            summary: a.summary,
            households_visited: a.households,
        }),
        Report::Evaluate(a) => Action::Evaluate(api::Evaluate {
            topic: a.topic,
            satisfied: a.satisfied,
            basically_satisfied: a.basically_satisfied,
            dissatisfied: a.dissatisfied,
        }),
    };
    act(client, output, lang, action)
}
