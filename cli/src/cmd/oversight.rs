//! `yiyi oversee` and `yiyi designate`: supervision of a topic in its phase
//! (全过程监督: 事前、事中、事后) by the kinds of supervisor the case study
//! names, with the discipline-inspection, finance and audit bodies invited
//! where money is spent; and the person the party organisation designates
//! for a duty (指定专人), by role and office.

use clap::Args;
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::names;

use super::{act, choices};
use crate::client::Client;
use crate::lang::Lang;
use crate::output::Output;

/// `yiyi oversee`.
#[derive(Args)]
pub(crate) struct OverseeArgs {
    /// The topic.
    topic: String,
    /// The phase: before, during or after (事前、事中、事后).
    #[arg(long, value_parser = choices(names::phase_names()))]
    phase: String,
    /// A deputy to the people's congress (人大代表); repeat for each.
    #[arg(long)]
    deputy: Vec<String>,
    /// A CPPCC member (政协委员); repeat for each.
    #[arg(long)]
    cppcc: Vec<String>,
    /// A resident representative (居民群众代表); repeat for each.
    #[arg(long)]
    resident: Vec<String>,
    /// A stakeholder (利益相关方); repeat for each.
    #[arg(long)]
    stakeholder: Vec<String>,
    /// A body of the level above invited: discipline, finance, audit; repeat.
    #[arg(long = "body", value_parser = choices(names::oversight_body_names()))]
    bodies: Vec<String>,
    /// What they found.
    #[arg(long, default_value = "")]
    note: String,
}

/// `yiyi designate`.
#[derive(Args)]
pub(crate) struct DesignateArgs {
    /// The topic.
    topic: String,
    /// The duty: plan-drafter, dispute-coordinator or matter-follower.
    #[arg(long, value_parser = choices(names::duty_names()))]
    duty: String,
    /// The role, e.g. 社区党委副书记.
    #[arg(long)]
    role: String,
    /// The office the role is in [default: this office].
    #[arg(long, default_value = "")]
    office: String,
}

/// Runs `yiyi oversee`.
pub(crate) fn oversee(
    a: OverseeArgs,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let mut supervisors = Vec::new();
    for (kind, names) in [
        ("deputy", a.deputy),
        ("cppcc-member", a.cppcc),
        ("resident-representative", a.resident),
        ("stakeholder", a.stakeholder),
    ] {
        supervisors.extend(names.into_iter().map(|name| api::Supervisor {
            kind: kind.into(),
            name,
        }));
    }
    act(
        client,
        output,
        lang,
        Action::Oversee(api::Oversee {
            topic: a.topic,
            phase: a.phase,
            supervisors,
            bodies: a.bodies,
            note: a.note,
        }),
    )
}

/// Runs `yiyi designate`.
pub(crate) fn designate(
    a: DesignateArgs,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    act(
        client,
        output,
        lang,
        Action::Designate(api::Designate {
            duty: a.duty,
            topic: a.topic,
            role: a.role,
            office: a.office,
        }),
    )
}
