//! What the office checks of a record against what it holds beyond its
//! own ledger's state: an answer against the assignment it names (in the
//! ledger of the office above), a briefing against the files kept here.

use yiyi_protocol::proto;
use yiyi_protocol::rules;

use super::{LogKey, Office, OfficeError};

impl Office {
    /// Whether `reply` answers an assignment held, addressed to `own`, at
    /// the entry it names.
    pub(super) fn answers_an_assignment(
        &self,
        own: &LogKey,
        reply: &proto::AssignmentReply,
    ) -> Result<(), OfficeError> {
        let unknown = || rules::RuleError::Unknown {
            kind: "assignment to this office",
            id: reply.assignment_id.clone(),
        };
        let source = reply.assignment.as_ref().ok_or_else(unknown)?;
        let from = LogKey::try_from(source.log.as_slice()).map_err(|_| unknown())?;
        let (at, assignment) = self
            .desk
            .matters()
            .assignment(&from, &reply.assignment_id)
            .ok_or_else(unknown)?;
        if at.hash.0.as_slice() != source.hash.as_slice() || at.sequence != source.sequence {
            return Err(unknown().into());
        }
        rules::joint::reply_fits(&assignment, reply, own)?;
        Ok(())
    }

    /// Whether every file a briefing names is kept here, of the size and
    /// kind it says: residents fetch them from this node.
    pub(super) fn holds_the_files(&self, briefing: &proto::Briefing) -> Result<(), OfficeError> {
        for f in &briefing.files {
            let sha: [u8; 32] = f.sha256.as_slice().try_into().unwrap_or([0; 32]);
            let fits = self
                .store
                .file(&sha)?
                .is_some_and(|(kind, bytes)| kind == f.media_type && bytes.len() as u64 == f.size);
            if !fits {
                return Err(rules::RuleError::Unknown {
                    kind: "file kept on this node",
                    id: hex::encode(&f.sha256),
                }
                .into());
            }
        }
        Ok(())
    }
}
