//! The resident's light client (核验): the checks that a notice is genuine,
//! unaltered, in its office's ledger, witnessed by the parent office, and
//! issued by an office whose charter chain leads to the pinned district
//! key — with nothing but the bytes of a [`Bundle`] and that one key.
//!
//! Every client shares these checks (`yiyi verify`, and the board page
//! does the same in the browser). A failure names the [`Check`] that
//! failed, so a resident is told what is wrong, not only that something is.
//!
//! A bundle is text: a header line, then C2SP `tlog-proof`s
//! ([`TlogProof`]), each carrying an entry in its `extra` line: first the
//! notice, then the charter that admitted its office (in the parent's
//! ledger), then the charter that admitted the parent, up to the one
//! signed by the district; then (since 0.2.0) the latest profile of each of
//! those offices, in its own ledger, which names it. Links that are neither
//! (a later release's) are skipped: they cannot complete a chain.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::checkpoint::{Checkpoint, witnessed_by};
use crate::entry::{self, VerifiedEntry};
use crate::federation;
use crate::keys::VerifierKey;
use crate::merkle::{self, Hash};
use crate::note::SignedNote;
use crate::proto::{self, Level, charter::Action, entry::Body};

/// The first line of a bundle.
pub const BUNDLE_HEADER: &str = "yiyi.notice-bundle/v1";
/// The first line of a C2SP tlog-proof.
pub const PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// Most charter links followed (district → street → community → grid →
/// building, with room to spare).
pub const MAX_CHAIN: usize = 8;

/// One of the checks a notice goes through, in the order they are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The bundle parses.
    Format,
    /// The entry's signature by its office's key, over the exact bytes.
    Signature,
    /// Each charter admits the next office's key, is signed by its parent,
    /// and is in the parent's ledger, up to the pinned district key.
    CharterChain,
    /// The checkpoint is signed by the office's key.
    Checkpoint,
    /// The entry is in the checkpoint's tree (Merkle inclusion proof).
    Inclusion,
    /// The parent office cosigned the checkpoint (witness).
    Cosignature,
    /// The checkpoint is consistent with an older one the client holds.
    Consistency,
    /// The checkpoint meets the resident's witness policy (C2SP
    /// tlog-policy: the witnesses she chose cosigned it), when she has one.
    Policy,
}

impl Check {
    /// Every check, in order.
    pub const ALL: [Check; 8] = [
        Check::Format,
        Check::Signature,
        Check::CharterChain,
        Check::Checkpoint,
        Check::Inclusion,
        Check::Cosignature,
        Check::Consistency,
        Check::Policy,
    ];

    /// A short name for `--json` and for tests.
    pub fn name(self) -> &'static str {
        match self {
            Check::Format => "format",
            Check::Signature => "signature",
            Check::CharterChain => "charter-chain",
            Check::Checkpoint => "checkpoint",
            Check::Inclusion => "inclusion",
            Check::Cosignature => "cosignature",
            Check::Consistency => "consistency",
            Check::Policy => "policy",
        }
    }

    /// What the check establishes, in Chinese, for residents.
    pub fn zh(self) -> &'static str {
        match self {
            Check::Format => "核验包格式",
            Check::Signature => "公示签名（内容未被改动）",
            Check::CharterChain => "发布机构经章程链归属于本区",
            Check::Checkpoint => "台账检查点由发布机构签名",
            Check::Inclusion => "公示已记入发布机构台账",
            Check::Cosignature => "上级机构见证（副署）",
            Check::Consistency => "与此前所见台账一致（未分叉）",
            Check::Policy => "符合核验策略（所选见证人已副署）",
        }
    }

    /// What the check establishes, in English.
    pub fn en(self) -> &'static str {
        match self {
            Check::Format => "bundle format",
            Check::Signature => "the notice's signature (unaltered)",
            Check::CharterChain => "the office's charter chain to the district",
            Check::Checkpoint => "the checkpoint signed by the office",
            Check::Inclusion => "the notice is in the office's ledger",
            Check::Cosignature => "witnessed by the parent office",
            Check::Consistency => "consistent with the ledger seen before (no fork)",
            Check::Policy => "the witness policy (the witnesses chosen cosigned)",
        }
    }
}

/// A failed check, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} failed: {reason}", check.en())]
pub struct Failure {
    /// Which check.
    pub check: Check,
    /// Why.
    pub reason: String,
}

fn fail<T>(check: Check, reason: impl Into<String>) -> Result<T, Failure> {
    Err(Failure {
        check,
        reason: reason.into(),
    })
}

/// Checks that the notice's checkpoint in `bundle` (verified already by
/// [`verify`]) meets `policy`: its office's log is one the policy lists
/// (when it lists any) and its quorum of witnesses cosigned it. Returns the
/// policy's witnesses that cosigned; a failure names those missing.
pub fn check_policy(
    bundle: &Bundle,
    policy: &crate::policy::Policy,
) -> Result<Vec<String>, Failure> {
    let (_, log) = notice_entry(bundle)?;
    let note = SignedNote::parse(&bundle.notice.checkpoint)
        .or_else(|e| fail(Check::Format, e.to_string()))?;
    policy
        .check(&log, &note)
        .or_else(|e| fail(Check::Policy, e.to_string()))
}

/// The notice's entry, its signature checked, and its author's log.
fn notice_entry(bundle: &Bundle) -> Result<(VerifiedEntry, crate::LogKey), Failure> {
    let entry =
        entry::verify(&bundle.notice.extra).or_else(|e| fail(Check::Signature, e.to_string()))?;
    let author = entry
        .author()
        .try_into()
        .or_else(|_| fail(Check::Signature, "the author is not a key"))?;
    Ok((entry, author))
}

/// A C2SP tlog-proof: a checkpoint (with cosignatures), the index of an
/// entry, its inclusion proof, and the entry's bytes as `extra`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// The entry's bytes (`extra`).
    pub extra: Vec<u8>,
    /// The entry's index in the log.
    pub index: u64,
    /// The inclusion proof.
    pub hashes: Vec<Hash>,
    /// The signed checkpoint (C2SP signed note).
    pub checkpoint: String,
}

impl TlogProof {
    /// The text form.
    pub fn to_text(&self) -> String {
        let mut text = format!("{PROOF_HEADER}\n");
        if !self.extra.is_empty() {
            text.push_str(&format!("extra {}\n", B64.encode(&self.extra)));
        }
        text.push_str(&format!("index {}\n", self.index));
        for hash in &self.hashes {
            text.push_str(&B64.encode(hash.as_bytes()));
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&self.checkpoint);
        text
    }

    /// Parses the text form.
    pub fn parse(text: &str) -> Result<TlogProof, Failure> {
        let bad = |why: &str| Failure {
            check: Check::Format,
            reason: format!("a tlog-proof: {why}"),
        };
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.lines();
        if lines.next() != Some(PROOF_HEADER) {
            return Err(bad("it does not start with c2sp.org/tlog-proof@v1"));
        }
        let mut extra = Vec::new();
        let mut line = lines.next().ok_or_else(|| bad("no index line"))?;
        if let Some(data) = line.strip_prefix("extra ") {
            extra = B64
                .decode(data)
                .map_err(|_| bad("the extra line is not base64"))?;
            line = lines.next().ok_or_else(|| bad("no index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad("no index line"))?;
        let hashes = lines
            .map(|l| {
                B64.decode(l)
                    .ok()
                    .and_then(|b| Hash::from_slice(&b).ok())
                    .ok_or_else(|| bad("a proof line is not a base64 SHA-256 hash"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if hashes.len() > 64 {
            return Err(bad("more than 64 proof hashes"));
        }
        // Its form is checked here, so that a malformed checkpoint (or a
        // newline trailing the bundle) fails as the bundle's form, not as
        // whichever check would open it first.
        crate::checkpoint::SignedCheckpoint::parse(checkpoint)
            .map_err(|e| bad(&format!("its checkpoint: {e}")))?;
        Ok(TlogProof {
            extra,
            index,
            hashes,
            checkpoint: checkpoint.to_owned(),
        })
    }
}

/// A notice with everything needed to check it offline (核验包).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The notice in its office's ledger.
    pub notice: TlogProof,
    /// The charters from the notice's office up to the district: the first
    /// admits the notice's office and is in its parent's ledger, the last
    /// is signed by the district. Empty when the district published it.
    pub chain: Vec<TlogProof>,
    /// The offices' profiles (办公室简介), each in its office's ledger: the
    /// names the chain is shown with.
    pub profiles: Vec<TlogProof>,
}

impl Bundle {
    /// The text form: the header, then each proof.
    pub fn to_text(&self) -> String {
        let mut text = format!("{BUNDLE_HEADER}\n");
        for proof in std::iter::once(&self.notice)
            .chain(&self.chain)
            .chain(&self.profiles)
        {
            text.push_str(&proof.to_text());
        }
        text
    }

    /// Parses the text form.
    pub fn parse(text: &str) -> Result<Bundle, Failure> {
        let body = text
            .strip_prefix(BUNDLE_HEADER)
            .and_then(|t| t.strip_prefix('\n'))
            .ok_or_else(|| Failure {
                check: Check::Format,
                reason: format!("it does not start with {BUNDLE_HEADER}"),
            })?;
        // Each proof starts with its header line; a checkpoint note never
        // holds that line (origins and signature lines do not).
        let marker = format!("\n{PROOF_HEADER}\n");
        let mut proofs = Vec::new();
        let mut rest = body;
        loop {
            match rest.get(1..).and_then(|r| r.find(&marker)) {
                Some(at) => {
                    proofs.push(TlogProof::parse(&rest[..at + 2])?);
                    rest = &rest[at + 2..];
                }
                _ => {
                    proofs.push(TlogProof::parse(rest)?);
                    break;
                }
            }
            if proofs.len() > 2 * (MAX_CHAIN + 1) {
                return fail(Check::Format, "too many proofs");
            }
        }
        let notice = proofs.remove(0);
        let (profiles, chain) = proofs
            .into_iter()
            .partition(|p| matches!(entry::record(&p.extra), Some(Body::OfficeProfile(_))));
        Ok(Bundle {
            notice,
            chain,
            profiles,
        })
    }
}

/// A checkpoint of the notice's log the client held before, with the
/// consistency proof between it and the bundle's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Older {
    /// The signed checkpoint seen before.
    pub checkpoint: String,
    /// The consistency proof between the smaller and the larger of the two.
    pub proof: Vec<Hash>,
}

/// What a bundle was found to be.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The notice entry.
    pub entry: VerifiedEntry,
    /// The notice (when the entry is one).
    pub notice: Option<proto::Notice>,
    /// The office's key, and its name and level from its charter (the
    /// district's: from the pinned key).
    pub office: VerifierKey,
    /// The office's name as its charter gives it.
    pub office_name: String,
    /// The offices from the notice's up to the district, by name.
    pub chain: Vec<String>,
    /// The checkpoint the notice was proved in.
    pub checkpoint: Checkpoint,
    /// The parent's cosignature time, when there is a parent.
    pub cosigned_at: Option<u64>,
    /// Whether an older checkpoint was checked for consistency.
    pub consistency_checked: bool,
}

/// Checks `bundle` against the pinned district key `trust`, and against an
/// older checkpoint of the same log when the client holds one.
pub fn verify(
    bundle: &Bundle,
    trust: &VerifierKey,
    older: Option<&Older>,
) -> Result<Verified, Failure> {
    let (entry, author) = notice_entry(bundle)?;

    // The charter chain, from the notice's office up: each link names the
    // key of the office below and is signed by the office above.
    if bundle.chain.len() > MAX_CHAIN {
        return fail(Check::CharterChain, "the chain is too long");
    }
    let mut below = author;
    let mut keys: Vec<(VerifierKey, String)> = Vec::new();
    let mut links = Vec::new();
    // Offices above the pinned key (a city's, when the resident trusts her
    // district's): their links and profiles are not needed, and skipped.
    let mut above = Vec::new();
    // Each link's admitted level (unknown for a rotation that does not say
    // it), whether it is a city charter, and its place in the bundle.
    let mut levels: Vec<(Option<Level>, bool, usize)> = Vec::new();
    for (i, link) in bundle.chain.iter().enumerate() {
        let charter = entry::verify(&link.extra)
            .or_else(|e| fail(Check::CharterChain, format!("charter {}: {e}", i + 1)))?;
        if below == trust.log_key() {
            above.push(charter.author().to_vec());
            continue;
        }
        let Some(c) = charter.entry.body.as_ref().and_then(federation::charter) else {
            // Not a link of the chain (a later release's, say): skipped.
            continue;
        };
        links.push(link);
        let admitted = match Action::try_from(c.action) {
            Ok(Action::Admit) => &c.verifier_key,
            Ok(Action::Rotate) => &c.new_verifier_key,
            _ => {
                return fail(
                    Check::CharterChain,
                    format!("charter {} does not admit an office", i + 1),
                );
            }
        };
        let key = VerifierKey::parse(admitted).or_else(|e| {
            fail(
                Check::CharterChain,
                format!("charter {} names no key: {e}", i + 1),
            )
        })?;
        if key.log_key() != below {
            return fail(
                Check::CharterChain,
                format!("charter {} admits another office's key", i + 1),
            );
        }
        keys.push((key, c.name.clone()));
        let city = matches!(charter.entry.body, Some(Body::CityCharter(_)));
        levels.push((
            Level::try_from(c.level)
                .ok()
                .filter(|l| *l != Level::Unspecified),
            city,
            i,
        ));
        below = charter
            .author()
            .try_into()
            .or_else(|_| fail(Check::CharterChain, "a charter's author is not a key"))?;
    }
    if below != trust.log_key() {
        return fail(
            Check::CharterChain,
            "the chain does not end at the pinned district key",
        );
    }
    // Levels go down the chain: each office admitted one its level may
    // admit (the nodes' rule, `federation::admits`). The office that signed
    // the top link is the pinned root: a city if that link is a city
    // charter, else a district.
    for (j, (admitted, city, i)) in levels.iter().enumerate() {
        let signer = match levels.get(j + 1) {
            Some((level, _, _)) => *level,
            None => Some(if *city { Level::City } else { Level::District }),
        };
        if let (Some(signer), Some(admitted)) = (signer, admitted)
            && !federation::admits(signer, *admitted, *city)
        {
            return fail(
                Check::CharterChain,
                format!(
                    "charter {} admits a {} office, which a {} office cannot admit",
                    i + 1,
                    admitted.as_str_name(),
                    signer.as_str_name()
                ),
            );
        }
    }
    // Each link is in the ledger of the office that signed it: the key of
    // the office above is the next link's (the district's: the pinned one).
    for (i, link) in links.iter().enumerate() {
        let signer = keys.get(i + 1).map_or(trust, |(k, _)| k);
        included(link, signer).map_err(|f| Failure {
            check: Check::CharterChain,
            reason: format!("charter {}: {}", i + 1, f.reason),
        })?;
    }

    let mut district_name = trust.name().to_owned();
    named_by_profiles(bundle, trust, &above, &mut keys, &mut district_name)?;
    let (office, office_name) = keys
        .first()
        .cloned()
        .unwrap_or_else(|| (trust.clone(), district_name.clone()));
    let (checkpoint, note) = included(&bundle.notice, &office)?;
    if bundle.notice.index != entry.sequence() {
        return fail(
            Check::Inclusion,
            "the proof's index is not the entry's sequence number",
        );
    }

    // The parent's cosignature: the office that admitted this one.
    let cosigned_at =
        match keys
            .get(1)
            .map(|(k, _)| k)
            .or(if keys.is_empty() { None } else { Some(trust) })
        {
            None => None,
            Some(parent) => {
                let witnessed = witnessed_by(&note, &[parent.to_cosigner()])
                    .or_else(|e| fail(Check::Cosignature, e.to_string()))?;
                match witnessed.first() {
                    Some((_, time)) => Some(*time),
                    None => {
                        return fail(
                            Check::Cosignature,
                            "the checkpoint carries no cosignature by the parent office",
                        );
                    }
                }
            }
        };

    let consistency_checked = match older {
        None => false,
        Some(older) => {
            consistent(&checkpoint, older, &office)?;
            true
        }
    };

    let notice = match &entry.entry.body {
        Some(Body::Notice(n)) => Some(n.clone()),
        _ => None,
    };
    let mut chain: Vec<String> = keys.iter().map(|(_, name)| name.clone()).collect();
    chain.push(district_name);
    Ok(Verified {
        entry,
        notice,
        office,
        office_name,
        chain,
        checkpoint,
        cosigned_at,
        consistency_checked,
    })
}

/// Names the offices of the chain (`keys`, then the district's
/// `district_name`) by the profiles in the bundle: each must be signed by
/// one of them and proved in its ledger.
fn named_by_profiles(
    bundle: &Bundle,
    trust: &VerifierKey,
    above: &[Vec<u8>],
    keys: &mut [(VerifierKey, String)],
    district_name: &mut String,
) -> Result<(), Failure> {
    for (i, proof) in bundle.profiles.iter().enumerate() {
        let bad = |why: String| Failure {
            check: Check::CharterChain,
            reason: format!("profile {}: {why}", i + 1),
        };
        let profile = entry::verify(&proof.extra).map_err(|e| bad(e.to_string()))?;
        let Some(Body::OfficeProfile(p)) = &profile.entry.body else {
            return Err(bad("not an office profile".into()));
        };
        let name = match keys
            .iter_mut()
            .find(|(k, _)| k.public_bytes() == profile.author())
        {
            Some((key, name)) => {
                included(proof, key).map_err(|f| bad(f.reason))?;
                name
            }
            None if trust.public_bytes() == profile.author() => {
                included(proof, trust).map_err(|f| bad(f.reason))?;
                &mut *district_name
            }
            None if above.iter().any(|a| a.as_slice() == profile.author()) => continue,
            None => return Err(bad("by an office outside the chain".into())),
        };
        if proof.index != profile.sequence() {
            return Err(bad(
                "the proof's index is not the entry's sequence number".into()
            ));
        }
        if !p.name.trim().is_empty() {
            *name = p.name.clone();
        }
    }
    Ok(())
}

/// Opens a proof's checkpoint with `key` and checks the entry's inclusion.
fn included(proof: &TlogProof, key: &VerifierKey) -> Result<(Checkpoint, SignedNote), Failure> {
    let (checkpoint, note) = Checkpoint::open(&proof.checkpoint, key)
        .or_else(|e| fail(Check::Checkpoint, e.to_string()))?;
    let leaf = merkle::leaf_hash(&proof.extra);
    merkle::verify_inclusion(
        proof.index,
        checkpoint.size,
        &leaf,
        &proof.hashes,
        &checkpoint.root,
    )
    .or_else(|e| fail(Check::Inclusion, e.to_string()))?;
    Ok((checkpoint, note))
}

/// The bundle's checkpoint and an older one are two states of one history.
fn consistent(new: &Checkpoint, older: &Older, key: &VerifierKey) -> Result<(), Failure> {
    let (old, _) = Checkpoint::open(&older.checkpoint, key)
        .or_else(|e| fail(Check::Consistency, format!("the older checkpoint: {e}")))?;
    let (small, large) = if old.size <= new.size {
        (&old, new)
    } else {
        (new, &old)
    };
    if small.size == large.size {
        if small.root != large.root {
            return fail(
                Check::Consistency,
                "two checkpoints of the same size with different roots: the office signed two histories",
            );
        }
        return Ok(());
    }
    if small.size == 0 {
        return Ok(());
    }
    merkle::verify_consistency(
        small.size,
        large.size,
        &small.root,
        &large.root,
        &older.proof,
    )
    .or_else(|e| {
        fail(
            Check::Consistency,
            format!("the ledger does not extend the one seen before: {e}"),
        )
    })
}

/// The hash of a notice entry's bytes, as the board and the QR code name it.
pub fn notice_hash(entry: &[u8]) -> Hash {
    merkle::leaf_hash(entry)
}

/// Decodes an entry's body without checking it (for display before or
/// after [`verify`]).
pub fn body(entry: &[u8]) -> Option<Body> {
    crate::entry::record(entry)
}
