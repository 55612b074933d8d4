//! `yiyi`: the command-line client of yiyi (议一议).
//!
//! The office's commands drive a node's HTTP API (`--node`, `--token`); the
//! primitives work on their own: keys, signed notes and Merkle-tree proofs,
//! so that anyone can check what a node publishes with nothing but this tool.
//!
//! # Layout
//!
//! - `cmd/`: one module per command group, each owning its clap commands:
//!   the office's (`participant`, `charter`, `catalogue`, `topic`, `meeting`,
//!   `report`: outcome to evaluation, `notices`: notices and statistics,
//!   `escalation`), `federation`, `demo`, the residents' (`verify`, `print`:
//!   a notice as a printable page with its QR code), and the primitives
//!   (`key`, `note`, `tlog`).
//! - `client`: requests to a node's API, in the HTTP contract's types.
//! - `output`: `--json`, and how what was recorded is printed.
//! - `lang`: the language of human output (`--lang`, else the locale).

mod client;
mod cmd;
mod lang;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use yiyi_protocol::merkle::Hash;

use cmd::report::Report;
use cmd::tlog::parse_hash;
use lang::Lang;

/// `--version`: the release, the schema and the record kinds it reads.
static LONG_VERSION: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| yiyi_protocol::Release::current().describe());

/// yiyi (议一议): community consultation on signed, verifiable ledgers.
#[derive(Parser)]
#[command(name = "yiyi", version, long_version = LONG_VERSION.as_str(), about)]
struct Cli {
    /// Language of messages: zh or en (default: from the locale, else zh).
    #[arg(long, global = true, value_enum)]
    lang: Option<Lang>,
    #[command(flatten)]
    node: client::NodeArgs,
    #[command(flatten)]
    output: output::Output,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Keys (密钥).
    #[command(subcommand)]
    Key(KeyCommand),
    /// C2SP signed notes (签名文本).
    #[command(subcommand)]
    Note(NoteCommand),
    /// RFC 6962 Merkle tree tools; leaves are read from stdin, one hex line each.
    #[command(subcommand)]
    Tlog(TlogCommand),
    /// Charters (章程): admit, revoke or re-key child offices.
    #[command(subcommand)]
    Charter(cmd::charter::CharterCommand),
    /// The office's profile (办公室简介): its name, address, phone and meeting place and rhythm.
    #[command(subcommand)]
    Profile(cmd::profile::ProfileCommand),
    /// The participant list (协商主体清单).
    #[command(subcommand)]
    Participant(cmd::participant::ParticipantCommand),
    /// Topics both ways (交办议题): send one to an office below; accept or decline one from above.
    #[command(subcommand)]
    Assignment(cmd::joint::AssignmentCommand),
    /// The street's joint meeting (协商联席会议): standing members, study schedule.
    #[command(subcommand)]
    Joint(cmd::joint::JointCommand),
    /// The topic catalogue's sub-items (协商事项目录).
    #[command(subcommand)]
    Catalogue(cmd::catalogue::CatalogueCommand),
    /// Topics (议题): intake and gate-keeping.
    #[command(subcommand)]
    Topic(cmd::topic::TopicCommand),
    /// Meetings and their seven steps (七定).
    #[command(subcommand)]
    Meeting(cmd::meeting::MeetingCommand),
    /// Residents' rounds (征询): open one with its codes, give a view with a code, close it with its tally.
    #[command(subcommand)]
    Round(cmd::round::RoundCommand),
    /// Classify a topic's outcome (分流分类).
    Outcome(cmd::report::OutcomeArgs),
    /// Record supervisors and oversight bodies of an item (监督).
    Supervise(cmd::report::SuperviseArgs),
    /// Supervision in its phase (全过程监督: before, during, after) by deputies, CPPCC members, residents' representatives and stakeholders; where money is spent, with the discipline-inspection, finance and audit bodies.
    Oversee(cmd::oversight::OverseeArgs),
    /// Designate the person responsible for a duty (指定专人), by role and office.
    Designate(cmd::oversight::DesignateArgs),
    /// Report progress on an item, or its completion.
    Progress(cmd::report::ProgressArgs),
    /// Record a follow-up visit (回访).
    Followup(cmd::report::FollowupArgs),
    /// Record the residents' evaluation (评议).
    Evaluate(cmd::report::EvaluateArgs),
    /// Show the public notices (公示).
    Notices,
    /// Statistics (统计) of this office or its subtree, with the checkpoint of
    /// each office counted; `--recompute EXPORT` checks an export.
    Stats(cmd::stats::StatsArgs),
    /// Escalated matters: send a suggestion up; decide, dispatch and resolve what reaches this office.
    #[command(subcommand)]
    Escalation(cmd::escalation::EscalationCommand),
    /// The district's department directory (派单 routing).
    #[command(subcommand)]
    Department(cmd::escalation::DepartmentCommand),
    /// A matter's whole path across levels.
    #[command(subcommand)]
    Matter(cmd::escalation::MatterCommand),
    /// Start a district, two streets and four communities on this machine and run a consultation with an escalation through them.
    Demo {
        /// Where the nodes keep their data (wiped if an earlier demo made it).
        #[arg(long, default_value = "yiyi-demo")]
        dir: PathBuf,
        /// The district's API port; the others follow it.
        #[arg(long, default_value_t = 8111)]
        base_port: u16,
        /// Stop the nodes once the story is told.
        #[arg(long)]
        exit: bool,
    },
    /// Check a notice (核验): its signature, that it is in its office's ledger, witnessed by the parent office, and that the office's charter chain leads to the district key you trust. Exits non-zero, naming the failed check, if anything is wrong.
    Verify {
        /// The notice's hash (online: the bundle is fetched from --node, which is not trusted).
        hash: Option<String>,
        /// Check a bundle file offline instead (`yiyi notice bundle`).
        #[arg(long)]
        bundle: Option<PathBuf>,
        /// The district's verifier key, as printed at the district office (else YIYI_TRUST).
        #[arg(long)]
        trust: Option<String>,
        /// A file holding the district's verifier key.
        #[arg(long)]
        trust_file: Option<PathBuf>,
        /// Also require the witnesses a C2SP tlog-policy file names (`log`, `witness`, `group`, `quorum` lines) to have cosigned the notice's checkpoint.
        #[arg(long, conflicts_with = "receipt")]
        policy: Option<PathBuf>,
        /// Check a residents' round receipt (回执) instead: that its ballot is in the tally --tally HASH, which is recounted too.
        #[arg(long, requires = "tally", conflicts_with_all = ["hash", "bundle"])]
        receipt: Option<String>,
        /// The tally's entry hash (on the round's page and in its notice).
        #[arg(long, requires = "receipt")]
        tally: Option<String>,
        /// The option you gave (its name or number), to check it is the one counted.
        #[arg(long, requires = "receipt")]
        choice: Option<String>,
    },
    /// A notice's bundle, to keep or print.
    #[command(subcommand)]
    Notice(NoticeCommand),
    /// The nodes this one is connected to (节点).
    Peers,
    /// The offices of the federation and what this node holds of each ledger.
    Logs,
    /// Replication progress (同步).
    #[command(subcommand)]
    Sync(SyncCommand),
}

#[derive(Subcommand)]
enum NoticeCommand {
    /// Write the self-contained bundle of a notice (entry, proof, cosigned checkpoint, charter chain).
    Bundle {
        /// The notice's hash.
        hash: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only the notice's C2SP tlog-proof (`.tlog-proof`): its entry, inclusion proof and cosigned checkpoint, without the charter chain.
        #[arg(long)]
        tlog_proof: bool,
    },
    /// An A4 page in Chinese for the physical notice board, with a QR code to the online board and the bundle for offline checks; only a notice that verifies is printed.
    Print {
        /// The notice's hash.
        hash: String,
        /// The HTML file to write.
        #[arg(long)]
        out: PathBuf,
        /// The board's public address for the QR code (default: --node).
        #[arg(long)]
        board: Option<String>,
        /// The district's verifier key (else --trust-file or YIYI_TRUST).
        #[arg(long)]
        trust: Option<String>,
        /// A file holding the district's verifier key.
        #[arg(long)]
        trust_file: Option<PathBuf>,
    },
    /// Correct a published notice (更正): a new notice supersedes it; both stay on the board.
    Correct {
        /// The notice's hash.
        hash: String,
        /// The corrected text.
        #[arg(long)]
        body: String,
        /// Why it is corrected (public).
        #[arg(long)]
        reason: String,
        /// The correction's title [default: 更正： and the old title].
        #[arg(long)]
        title: Option<String>,
    },
}

#[derive(Subcommand)]
enum SyncCommand {
    /// How far each followed ledger is held.
    Status {
        /// Wait, with a progress bar, until nothing is behind.
        #[arg(long)]
        wait: bool,
        /// Give up waiting after this many seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create a key: writes the secret key (mode 0600) and prints the verifier key.
    Generate {
        /// The key's name (for a node: its checkpoint origin, e.g. yiyi/lixia/quancheng).
        #[arg(long)]
        name: String,
        /// Where to write the secret key (default: NAME.key in this directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum NoteCommand {
    /// Sign a note's text (or add a signature to a signed note); prints the signed note.
    Sign {
        /// The secret key file.
        #[arg(long)]
        key_file: PathBuf,
        /// The note (default: stdin).
        note_file: Option<PathBuf>,
    },
    /// Verify a signed note; prints its text if a known key's signature verifies.
    Verify {
        /// A verifier key (name+keyid+base64); repeat for several.
        #[arg(long = "key", required = true)]
        keys: Vec<String>,
        /// The signed note (default: stdin).
        note_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TlogCommand {
    /// Print the tree's root hash.
    Root,
    /// Print the inclusion proof of leaf INDEX (0-based).
    InclusionProof {
        /// The leaf's index.
        #[arg(long)]
        index: u64,
        /// Prove against the tree of the first SIZE leaves (default: all).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Print the consistency proof from the first OLD_SIZE leaves to the whole tree.
    ConsistencyProof {
        /// The older tree's size.
        #[arg(long)]
        old_size: u64,
        /// The newer tree's size (default: all leaves).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Check an inclusion proof; exits 0 when it verifies.
    VerifyInclusion {
        /// The leaf hash, SHA-256(0x00 || leaf), in hex.
        #[arg(long, value_parser = parse_hash)]
        leaf_hash: Hash,
        /// The leaf's index.
        #[arg(long)]
        index: u64,
        /// The tree size.
        #[arg(long)]
        size: u64,
        /// The tree's root hash.
        #[arg(long, value_parser = parse_hash)]
        root: Hash,
        /// A proof hash, leaf to root; repeat for each.
        #[arg(long = "proof", value_parser = parse_hash)]
        proof: Vec<Hash>,
    },
    /// Check a consistency proof; exits 0 when it verifies.
    VerifyConsistency {
        /// The older tree's size.
        #[arg(long)]
        old_size: u64,
        /// The older tree's root.
        #[arg(long, value_parser = parse_hash)]
        old_root: Hash,
        /// The newer tree's size.
        #[arg(long)]
        size: u64,
        /// The newer tree's root.
        #[arg(long, value_parser = parse_hash)]
        root: Hash,
        /// A proof hash; repeat for each.
        #[arg(long = "proof", value_parser = parse_hash)]
        proof: Vec<Hash>,
    },
}

fn run(cli: Cli, lang: Lang) -> anyhow::Result<()> {
    let output = cli.output;
    let client = || client::Client::new(&cli.node, lang);
    let report = |r: Report| cmd::report::run(r, &client()?, output, lang);
    match cli.command {
        Command::Participant(c) => cmd::participant::run(c, &client()?, output, lang),
        Command::Assignment(c) => cmd::joint::assignment(c, &client()?, output, lang),
        Command::Joint(c) => cmd::joint::joint(c, &client()?, output, lang),
        Command::Charter(c) => cmd::charter::run(c, &client()?, output, lang),
        Command::Catalogue(c) => cmd::catalogue::run(c, &client()?, output, lang),
        Command::Profile(c) => cmd::profile::run(c, &client()?, output, lang),
        Command::Topic(c) => cmd::topic::run(c, &client()?, output, lang),
        Command::Meeting(c) => cmd::meeting::run(c, &client()?, output, lang),
        Command::Round(c) => cmd::round::run(c, &client()?, output, lang),
        Command::Outcome(a) => report(Report::Outcome(a)),
        Command::Supervise(a) => report(Report::Supervise(a)),
        Command::Oversee(a) => cmd::oversight::oversee(a, &client()?, output, lang),
        Command::Designate(a) => cmd::oversight::designate(a, &client()?, output, lang),
        Command::Progress(a) => report(Report::Progress(a)),
        Command::Followup(a) => report(Report::Followup(a)),
        Command::Evaluate(a) => report(Report::Evaluate(a)),
        Command::Notices => cmd::notices::notices(&client()?, output),
        Command::Stats(a) => cmd::stats::run(a, &client()?, output, lang),
        Command::Escalation(c) => cmd::escalation::escalation(c, &client()?, output, lang),
        Command::Department(c) => cmd::escalation::department(c, &client()?, output, lang),
        Command::Matter(c) => cmd::escalation::matter(c, &client()?, output, lang),
        Command::Demo {
            dir,
            base_port,
            exit,
        } => cmd::demo::run(&dir, base_port, exit, lang),
        Command::Verify {
            trust,
            trust_file,
            receipt: Some(receipt),
            tally: Some(tally),
            choice,
            ..
        } => {
            let trust = cmd::verify::trust_key(trust, trust_file)?;
            cmd::round::verify_receipt(
                &client()?,
                &receipt,
                &tally,
                choice.as_deref(),
                &trust,
                lang,
            )
        }
        Command::Verify {
            hash,
            bundle,
            trust,
            trust_file,
            policy,
            ..
        } => {
            let trust = cmd::verify::trust_key(trust, trust_file)?;
            let policy = policy.as_deref().map(cmd::verify::policy).transpose()?;
            let online = match &bundle {
                Some(_) => None,
                None => Some(client()?),
            };
            cmd::verify::verify(
                online.as_ref(),
                hash.as_deref(),
                bundle.as_deref(),
                (&trust, policy.as_ref()),
                output.json,
                lang,
            )
        }
        Command::Notice(NoticeCommand::Correct {
            hash,
            body,
            reason,
            title,
        }) => cmd::act(
            &client()?,
            output,
            lang,
            yiyi_protocol::api::Action::Correct(yiyi_protocol::api::Correct {
                notice: hash,
                body,
                reason,
                title,
            }),
        ),
        Command::Notice(NoticeCommand::Bundle {
            hash,
            out,
            tlog_proof,
        }) => cmd::verify::bundle(&client()?, &hash, out.as_deref(), tlog_proof),
        Command::Notice(NoticeCommand::Print {
            hash,
            out,
            board,
            trust,
            trust_file,
        }) => {
            let trust = cmd::verify::trust_key(trust, trust_file)?;
            let client = client()?;
            let board = board.unwrap_or_else(|| client.base().to_owned());
            cmd::print::print(&client, &hash, &trust, &board, &out)
        }
        Command::Peers => cmd::federation::peers(&client()?, output, lang),
        Command::Logs => cmd::federation::logs(&client()?, output, lang),
        Command::Sync(SyncCommand::Status { wait, timeout }) => cmd::federation::status(
            &client()?,
            output,
            lang,
            wait,
            std::time::Duration::from_secs(timeout),
        ),
        Command::Key(KeyCommand::Generate { name, out }) => {
            cmd::key::generate(&name, out.as_deref(), lang)
        }
        Command::Note(NoteCommand::Sign {
            key_file,
            note_file,
        }) => cmd::note::sign(&key_file, note_file.as_deref(), lang),
        Command::Note(NoteCommand::Verify { keys, note_file }) => {
            cmd::note::verify(&keys, note_file.as_deref(), lang)
        }
        Command::Tlog(TlogCommand::Root) => cmd::tlog::root(),
        Command::Tlog(TlogCommand::InclusionProof { index, size }) => {
            cmd::tlog::inclusion_proof(index, size)
        }
        Command::Tlog(TlogCommand::ConsistencyProof { old_size, size }) => {
            cmd::tlog::consistency_proof(old_size, size)
        }
        Command::Tlog(TlogCommand::VerifyInclusion {
            leaf_hash,
            index,
            size,
            root,
            proof,
        }) => cmd::tlog::verify_inclusion(&leaf_hash, index, size, &root, &proof, lang),
        Command::Tlog(TlogCommand::VerifyConsistency {
            old_size,
            old_root,
            size,
            root,
            proof,
        }) => cmd::tlog::verify_consistency(old_size, &old_root, size, &root, &proof, lang),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = Lang::detect(cli.lang);
    match run(cli, lang) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}{e:#}", lang.pick("错误：", "error: "));
            ExitCode::FAILURE
        }
    }
}
