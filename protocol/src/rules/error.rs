//! [`RuleError`]: why a record may not come next. Its own file because the
//! node, the CLI and the tests match on it apart from the rules that raise it.

use super::calendar::{Date, DateError};
use super::state::TopicStatus;

/// Why a record may not come next. Each names what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// A record needs this field.
    #[error("{record} needs {field}")]
    Missing {
        /// The kind of record.
        record: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// The id is taken.
    #[error("there is already a {kind} with id {id:?}")]
    Duplicate {
        /// Participant, topic, meeting.
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// The id names nothing.
    #[error("there is no {kind} with id {id:?}")]
    Unknown {
        /// Participant, topic, meeting, notice.
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// The topic is not where this record needs it to be.
    #[error("topic {topic:?} is {status}; {action} needs it {needs}")]
    TopicStatus {
        /// The topic.
        topic: String,
        /// Where it stands.
        status: TopicStatus,
        /// What was attempted.
        action: &'static str,
        /// Where it would have to stand.
        needs: &'static str,
    },
    /// A referred dispute goes to consultation only after approval.
    #[error(
        "topic {0:?} is an individual dispute: the party organisation must approve it before consultation"
    )]
    DisputeNotApproved(String),
    /// A participant who has withdrawn was named.
    #[error("participant {0:?} has withdrawn from the list")]
    ParticipantWithdrawn(String),
    /// A major matter was not given a full meeting.
    #[error(
        "topic {0:?} is a major matter (大事大议): it needs a full meeting, not a card or online consultation"
    )]
    MajorNeedsMeeting(String),
    /// A major matter needs participants of two kinds.
    #[error(
        "topic {topic:?} is a major matter (大事大议): it needs participants of at least two kinds, this meeting has {kinds}"
    )]
    MajorNeedsTwoKinds {
        /// The topic.
        topic: String,
        /// How many kinds the meeting has.
        kinds: usize,
    },
    /// An urgent matter was not convened at once.
    #[error(
        "topic {topic:?} is urgent (急事立议): its meeting must be held by {latest}, not {date}"
    )]
    UrgentNotAtOnce {
        /// The topic.
        topic: String,
        /// The meeting's date.
        date: Date,
        /// The latest date allowed.
        latest: Date,
    },
    /// A meeting step out of order, repeated, or after the meeting closed.
    #[error("meeting {meeting:?}: the next step is {expected}, not {got}")]
    StepOutOfOrder {
        /// The meeting.
        meeting: String,
        /// The step expected next (`none` once all seven are in).
        expected: &'static str,
        /// The step given.
        got: &'static str,
    },
    /// A step recorded before the meeting's day.
    #[error("meeting {meeting:?} is on {date}: its steps cannot be recorded before then")]
    MeetingNotYet {
        /// The meeting.
        meeting: String,
        /// Its date.
        date: Date,
    },
    /// An outcome before the meeting formed its result.
    #[error("meeting {0:?} has not formed its result (form-result) yet")]
    ResultNotFormed(String),
    /// A topic classified in one meeting is recorded against another.
    #[error("topic {topic:?} is on the agenda of meeting {scheduled:?}, not {given:?}")]
    WrongMeeting {
        /// The topic.
        topic: String,
        /// Its meeting.
        scheduled: String,
        /// The meeting given.
        given: String,
    },
    /// A follow-up or evaluation that needs follow-ups first.
    #[error("topic {0:?} has had no follow-up visit (回访) yet")]
    NoFollowUp(String),
    /// An evaluation with no votes.
    #[error("an evaluation of topic {0:?} needs at least one vote")]
    EmptyEvaluation(String),
    /// A reopened topic must name a shelved topic.
    #[error("topic {topic:?} can only reopen a shelved topic; {reopens:?} is {status}")]
    NotShelved {
        /// The new topic.
        topic: String,
        /// The topic it names.
        reopens: String,
        /// Where that one stands.
        status: TopicStatus,
    },
    /// A topic names a sub-item the catalogue does not have.
    #[error("the topic catalogue has no sub-item {item:?} under {category}: add it first")]
    NotInCatalogue {
        /// The topic's category.
        category: &'static str,
        /// The sub-item named.
        item: String,
    },
    /// A charter names a key that cannot be an office's.
    #[error("not an office's verifier key: {0}")]
    BadKey(String),
    /// A charter admits an office at a level that is not below.
    #[error("a charter admits a street or a community, and a city charter a district, not {0}")]
    CharterLevel(&'static str),
    /// An office admits only the level below its own.
    #[error(
        "a {office} office cannot admit a {child} office: a city admits districts (by city charter), a district streets, a street its communities"
    )]
    AdmitsBelow {
        /// This office's level.
        office: &'static str,
        /// The level the charter names.
        child: &'static str,
    },
    /// The department directory is kept by a district or a city.
    #[error("the department directory is a district's or a city's; this is a {0} office")]
    DistrictOnly(&'static str),
    /// A city charter is recorded by a city alone.
    #[error("only a city records city charters; this is a {0} office")]
    CityOnly(&'static str),
    /// A date that is not `YYYY-MM-DD`.
    #[error(transparent)]
    Date(#[from] DateError),
    /// A commitment that is not a SHA-256 hash.
    #[error("{0} must be a 32-byte salted commitment")]
    BadCommitment(&'static str),
    /// An enum left unspecified or out of range.
    #[error("{0} is not set to a known value")]
    Unspecified(&'static str),
    /// A consultation round on a meeting that is not held online or by card.
    #[error(
        "round {round:?}: meeting {meeting:?} is a full meeting; a round gathers views for a meeting held online or by card"
    )]
    RoundNeedsOnlineOrCard {
        /// The round.
        round: String,
        /// Its meeting.
        meeting: String,
    },
    /// A round that does not hold together (its options, codes, salt,
    /// closing time, or a tally's figures against it).
    #[error("round {round:?}: {why}")]
    Round {
        /// The round.
        round: String,
        /// What is wrong, in words.
        why: &'static str,
    },
    /// The meeting's result is formed while one of its rounds still takes
    /// ballots.
    #[error("meeting {meeting:?} has round {round:?} still open: close it (its tally) first")]
    RoundStillOpen {
        /// The meeting.
        meeting: String,
        /// The open round.
        round: String,
    },
    /// A tally before the round's closing time, with codes unused and no
    /// reason given.
    #[error(
        "round {0:?} is still open and not every code was used: a tally before it closes needs the reason"
    )]
    TallyEarly(String),
    /// Only a district's (or a city's) 12345 desk takes matters in directly,
    /// convenes coordination groups and re-dispatches.
    #[error(
        "a {0} has no 12345 desk: matters are taken in directly, coordinated and re-dispatched at a district"
    )]
    DeskOnly(&'static str),
    /// Only a street keeps a joint meeting (协商联席会议).
    #[error(
        "a {0} keeps no joint meeting: standing members, their proposals and the study schedule are a street's"
    )]
    StreetOnly(&'static str),
    /// Only an office with offices below it assigns topics to them.
    #[error("a {0} has no offices below it to assign a topic to")]
    AssignsBelow(&'static str),
    /// A number past what the record allows.
    #[error("{what} is {value}; at most {max}")]
    OutOfRange {
        /// The field.
        what: &'static str,
        /// The value given.
        value: i64,
        /// The largest allowed.
        max: i64,
    },
}
