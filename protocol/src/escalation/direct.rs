//! The 12345 path (12345政务服务平台): a matter the district's desk takes in
//! directly, the coordination group's joint meeting on a matter dispatched
//! to several departments, and a department's result returned for
//! re-dispatch (退单/改派). The case study: 对涉及单个部门职责权限的问题，由
//! 12345政务服务平台直接反馈至相关部门，同步备案管理；对可能涉及多个部门的问题，
//! 按照轻重缓急原则，由协调推进工作组召集相关部门，共同研究讨论，合力推动解决。
//!
//! A direct matter is a [`Matter`] from the desk to itself, received at
//! once; from there it is dispatched, resolved and returned like a matter
//! that came up the chain, so that its path reads the same.

use std::collections::BTreeMap;

use super::{
    LogKey, Matter, MatterError, Matters, Status, StepKind, out_of_order, referenced, step,
};
use crate::proto::{self, escalation::Priority};
use crate::rules::{Date, Position};

impl Matters {
    /// A matter taken in at the desk of `log`.
    pub(super) fn intake(
        &mut self,
        log: &LogKey,
        at: Position,
        d: &proto::DirectMatter,
    ) -> Result<(), MatterError> {
        if d.id.trim().is_empty() || d.title.trim().is_empty() {
            return Err(MatterError::Invalid(
                "a matter taken in needs an id and a title".into(),
            ));
        }
        let source = proto::direct_matter::Source::try_from(d.source);
        if !matches!(source, Ok(s) if s != proto::direct_matter::Source::Unspecified) {
            return Err(MatterError::Invalid("where the matter came from".into()));
        }
        if self.matters.contains_key(&at.hash) {
            return Ok(());
        }
        let taken = self
            .matters
            .values()
            .any(|m| m.direct && m.to == *log && m.escalation.id == d.id);
        if taken {
            return Err(MatterError::Invalid(format!(
                "there is already a matter {:?} at this desk",
                d.id
            )));
        }
        let priority = if d.priority == Priority::Unspecified as i32 {
            Priority::Normal as i32
        } else {
            d.priority
        };
        // Shown as an escalation from the desk to itself: its id, what it
        // is about, where it goes.
        let escalation = proto::Escalation {
            id: d.id.clone(),
            result: d.title.clone(),
            proposed_solution: d.summary.clone(),
            to: log.to_vec(),
            priority,
            ..Default::default()
        };
        self.matters.insert(
            at.hash,
            Matter {
                id: at.hash,
                from: *log,
                to: *log,
                escalation,
                forwards: None,
                status: Status::Received,
                deadline: None,
                steps: vec![step(log, at, StepKind::Intake)],
                resolutions: Vec::new(),
                priority,
                direct: true,
                round: BTreeMap::new(),
                meetings: Vec::new(),
                returned: Vec::new(),
            },
        );
        Ok(())
    }

    /// The coordination group's joint meeting on a matter dispatched to
    /// several departments: on a day, with some of those departments, and
    /// what they concluded.
    pub(super) fn coordinate(
        &mut self,
        log: &LogKey,
        at: Position,
        c: &proto::CoordinationMeeting,
    ) -> Result<(), MatterError> {
        let id = referenced(&c.escalation)?;
        Date::parse(&c.date).map_err(|e| MatterError::Invalid(e.to_string()))?;
        if c.conclusion.trim().is_empty() {
            return Err(MatterError::Invalid(
                "a coordination meeting records its conclusion".into(),
            ));
        }
        let matter = self.addressed(&id, log)?;
        let Status::Dispatched { departments } = &matter.status else {
            return Err(out_of_order(matter, "met on by a coordination group"));
        };
        if departments.len() < 2 {
            return Err(out_of_order(matter, "met on by a coordination group"));
        }
        if c.department_ids.is_empty()
            || c.department_ids
                .iter()
                .any(|d| !departments.contains_key(d))
        {
            return Err(MatterError::Invalid(
                "a coordination meeting is of departments the matter was dispatched to".into(),
            ));
        }
        matter.meetings.push(c.clone());
        matter.steps.push(step(log, at, StepKind::Coordination));
        Ok(())
    }

    /// A department's result returned, the matter dispatched again.
    pub(super) fn redispatch(
        &mut self,
        log: &LogKey,
        at: Position,
        r: &proto::Redispatch,
    ) -> Result<(), MatterError> {
        let id = referenced(&r.escalation)?;
        if r.reason.trim().is_empty() {
            return Err(MatterError::Invalid(
                "a returned result needs the reason".into(),
            ));
        }
        if r.to_department_ids.is_empty() {
            return Err(MatterError::Invalid(
                "a re-dispatch names at least one department".into(),
            ));
        }
        for department in &r.to_department_ids {
            let listed = self.departments.get(&(*log, department.clone()));
            if listed.is_none_or(|d| d.withdrawn) {
                return Err(MatterError::NoDepartment(department.clone()));
            }
        }
        let matter = self.addressed(&id, log)?;
        let dispatched = matches!(
            matter.status,
            Status::Dispatched { .. } | Status::Resolved(_)
        ) && !matter.round.is_empty();
        if !dispatched || matter.round.get(&r.department_id) != Some(&true) {
            return Err(out_of_order(matter, "returned for re-dispatch"));
        }
        matter.round.remove(&r.department_id);
        for department in &r.to_department_ids {
            matter.round.insert(department.clone(), false);
        }
        matter.status = Status::Dispatched {
            departments: matter.round.clone(),
        };
        matter
            .returned
            .push((r.department_id.clone(), r.reason.clone()));
        matter.steps.push(step(log, at, StepKind::Redispatch));
        Ok(())
    }
}
