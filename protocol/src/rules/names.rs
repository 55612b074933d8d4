//! The names the API and the CLI use for the schema's enums
//! (`public-affairs`, `major`, `card`, `promised`, …), both ways.

use crate::proto::{self, meeting, meeting_step::Step, outcome::Class, participant, topic};

/// Pairs of (name, value) for one enum.
type Table<T> = &'static [(&'static str, T)];

const CATEGORIES: Table<proto::Category> = &[
    ("daily-life", proto::Category::DailyLife),
    ("public-affairs", proto::Category::PublicAffairs),
    ("policy", proto::Category::Policy),
];
const SCALES: Table<proto::Scale> = &[
    ("major", proto::Scale::Major),
    ("minor", proto::Scale::Minor),
    ("urgent", proto::Scale::Urgent),
];
const SOURCES: Table<topic::Source> = &[
    ("resident", topic::Source::Resident),
    ("home-visit", topic::Source::HomeVisit),
    ("building-chat", topic::Source::BuildingChat),
    ("online-group", topic::Source::OnlineGroup),
    ("party-organisation", topic::Source::PartyOrganisation),
    ("street-joint-meeting", topic::Source::StreetJointMeeting),
];
const PARTICIPANT_KINDS: Table<participant::Kind> = &[
    ("party-organisation", participant::Kind::PartyOrganisation),
    ("residents-committee", participant::Kind::ResidentsCommittee),
    (
        "resident-representative",
        participant::Kind::ResidentRepresentative,
    ),
    ("resident-unit", participant::Kind::ResidentUnit),
    ("owners-committee", participant::Kind::OwnersCommittee),
    ("property-management", participant::Kind::PropertyManagement),
    (
        "government-department",
        participant::Kind::GovernmentDepartment,
    ),
    ("expert", participant::Kind::Expert),
];
const MEMBER_KINDS: Table<proto::standing_member::Kind> = &[
    ("resident-unit", proto::standing_member::Kind::ResidentUnit),
    (
        "non-public-enterprise",
        proto::standing_member::Kind::NonPublicEnterprise,
    ),
    (
        "social-organisation",
        proto::standing_member::Kind::SocialOrganisation,
    ),
    (
        "party-organisation",
        proto::standing_member::Kind::PartyOrganisation,
    ),
];
const INTAKE_SOURCES: Table<proto::direct_matter::Source> = &[
    ("concern", proto::direct_matter::Source::Concern),
    ("open311", proto::direct_matter::Source::Open311),
    ("hotline", proto::direct_matter::Source::Hotline),
];
const PHASES: Table<proto::oversight::Phase> = &[
    ("before", proto::oversight::Phase::Before),
    ("during", proto::oversight::Phase::During),
    ("after", proto::oversight::Phase::After),
];
const SUPERVISOR_KINDS: Table<proto::oversight::supervisor::Kind> = &[
    ("deputy", proto::oversight::supervisor::Kind::Deputy),
    (
        "cppcc-member",
        proto::oversight::supervisor::Kind::CppccMember,
    ),
    (
        "resident-representative",
        proto::oversight::supervisor::Kind::ResidentRepresentative,
    ),
    (
        "stakeholder",
        proto::oversight::supervisor::Kind::Stakeholder,
    ),
];
const OVERSIGHT_BODIES: Table<proto::oversight::Body> = &[
    ("discipline", proto::oversight::Body::Discipline),
    ("finance", proto::oversight::Body::Finance),
    ("audit", proto::oversight::Body::Audit),
];
const DUTIES: Table<proto::designation::Duty> = &[
    ("plan-drafter", proto::designation::Duty::PlanDrafter),
    (
        "dispute-coordinator",
        proto::designation::Duty::DisputeCoordinator,
    ),
    ("matter-follower", proto::designation::Duty::MatterFollower),
];
const MEETING_LEVELS: Table<meeting::MeetingLevel> = &[
    ("unit", meeting::MeetingLevel::Unit),
    ("grid", meeting::MeetingLevel::Grid),
    ("community", meeting::MeetingLevel::Community),
    ("cross-community", meeting::MeetingLevel::CrossCommunity),
    ("street", meeting::MeetingLevel::Street),
];
const FORMS: Table<meeting::Form> = &[
    ("meeting", meeting::Form::Meeting),
    ("card", meeting::Form::Card),
    ("online", meeting::Form::Online),
];
const STEPS: Table<Step> = &[
    ("sign-in", Step::SignIn),
    ("explain-topic", Step::ExplainTopic),
    ("introduce-participants", Step::IntroduceParticipants),
    ("read-rules", Step::ReadRules),
    ("discuss", Step::Discuss),
    ("form-result", Step::FormResult),
    ("publish-result", Step::PublishResult),
];
const LEVELS: Table<proto::Level> = &[
    ("city", proto::Level::City),
    ("district", proto::Level::District),
    ("street", proto::Level::Street),
    ("community", proto::Level::Community),
    ("grid", proto::Level::Grid),
    ("building", proto::Level::Building),
];
const CHARTER_ACTIONS: Table<proto::charter::Action> = &[
    ("admit", proto::charter::Action::Admit),
    ("revoke", proto::charter::Action::Revoke),
    ("rotate", proto::charter::Action::Rotate),
];
const CLASSES: Table<Class> = &[
    ("immediate", Class::Immediate),
    ("shelved", Class::Shelved),
    ("promised", Class::Promised),
    ("suggestion", Class::Suggestion),
];
const PRIORITIES: Table<proto::escalation::Priority> = &[
    ("urgent", proto::escalation::Priority::Urgent),
    ("important", proto::escalation::Priority::Important),
    ("normal", proto::escalation::Priority::Normal),
];
const VERDICTS: Table<proto::decision::Verdict> = &[
    ("accept", proto::decision::Verdict::Accept),
    ("return", proto::decision::Verdict::Return),
    ("forward", proto::decision::Verdict::Forward),
];

/// A name that is not one of an enum's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {given:?} is not one of: {choices}")]
pub struct UnknownName {
    /// What was being named.
    pub what: &'static str,
    /// The name given.
    pub given: String,
    /// The names allowed, comma-separated.
    pub choices: String,
}

fn parse<T: Copy + Into<i32>>(
    what: &'static str,
    table: Table<T>,
    given: &str,
) -> Result<i32, UnknownName> {
    table
        .iter()
        .find(|(name, _)| *name == given)
        .map(|(_, value)| (*value).into())
        .ok_or_else(|| UnknownName {
            what,
            given: given.into(),
            choices: table.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        })
}

fn name<T: Copy + Into<i32>>(table: Table<T>, value: i32) -> &'static str {
    table
        .iter()
        .find(|(_, v)| (*v).into() == value)
        .map(|(n, _)| *n)
        .unwrap_or("unspecified")
}

macro_rules! names {
    ($($parse:ident, $name:ident, $all:ident, $table:ident, $what:literal;)*) => {$(
        #[doc = concat!("The value of a ", $what, " name.")]
        pub fn $parse(given: &str) -> Result<i32, UnknownName> {
            parse($what, $table, given)
        }
        #[doc = concat!("The name of a ", $what, " value.")]
        pub fn $name(value: i32) -> &'static str {
            name($table, value)
        }
        #[doc = concat!("Every ", $what, " name, in the table's order (for a CLI's choices).")]
        pub fn $all() -> Vec<&'static str> {
            $table.iter().map(|(n, _)| *n).collect()
        }
    )*};
}

names! {
    category, category_name, category_names, CATEGORIES, "category";
    scale, scale_name, scale_names, SCALES, "scale";
    source, source_name, source_names, SOURCES, "source";
    participant_kind, participant_kind_name, participant_kind_names, PARTICIPANT_KINDS, "participant kind";
    member_kind, member_kind_name, member_kind_names, MEMBER_KINDS, "standing member kind";
    intake_source, intake_source_name, intake_source_names, INTAKE_SOURCES, "intake source";
    phase, phase_name, phase_names, PHASES, "oversight phase";
    supervisor_kind, supervisor_kind_name, supervisor_kind_names, SUPERVISOR_KINDS, "supervisor kind";
    oversight_body, oversight_body_name, oversight_body_names, OVERSIGHT_BODIES, "oversight body";
    duty, duty_name, duty_names, DUTIES, "duty";
    meeting_level, meeting_level_name, meeting_level_names, MEETING_LEVELS, "meeting level";
    form, form_name, form_names, FORMS, "meeting form";
    step, step_name, step_names, STEPS, "meeting step";
    outcome_class, outcome_class_name, outcome_class_names, CLASSES, "outcome class";
    level, level_name, level_names, LEVELS, "level";
    charter_action, charter_action_name, charter_action_names, CHARTER_ACTIONS, "charter action";
    priority, priority_name, priority_names, PRIORITIES, "priority";
    verdict, verdict_name, verdict_names, VERDICTS, "decision";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_choices() {
        for (n, _) in SCALES {
            assert_eq!(scale_name(scale(n).unwrap()), *n);
        }
        for (n, _) in STEPS {
            assert_eq!(step_name(step(n).unwrap()), *n);
        }
        let err = outcome_class("done").unwrap_err();
        assert!(
            err.to_string()
                .contains("immediate, shelved, promised, suggestion")
        );
    }
}
