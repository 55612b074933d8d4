//! The 12345 path: a matter the district's desk takes in directly is
//! dispatched to one department (同步备案), its result returned and the
//! matter re-dispatched (退单/改派), then resolved; one that needs several
//! departments goes to a coordination group, whose joint meeting and
//! conclusion are recorded. Steps that do not follow are refused.

use yiyi_protocol::LogKey;
use yiyi_protocol::escalation::{MatterError, Matters, Status, StepKind};
use yiyi_protocol::merkle;
use yiyi_protocol::proto::{self, EntryRef, entry::Body};
use yiyi_protocol::rules::{Date, Position};

const DISTRICT: LogKey = LogKey([1; 32]);
const STREET: LogKey = LogKey([2; 32]);

struct Desk {
    matters: Matters,
    sequence: u64,
}

impl Desk {
    fn new() -> Desk {
        let mut desk = Desk {
            matters: Matters::new(),
            sequence: 0,
        };
        for (id, name) in [
            ("jtj", "区交通运输局"),
            ("cgj", "区城管局"),
            ("zjj", "区住建局"),
        ] {
            desk.ok(
                DISTRICT,
                Body::Department(proto::Department {
                    id: id.into(),
                    name: name.into(),
                    handles: vec![],
                    withdrawn: false,
                }),
            );
        }
        desk
    }

    fn next(&mut self) -> Position {
        self.sequence += 1;
        Position {
            sequence: self.sequence,
            hash: merkle::leaf_hash(&self.sequence.to_be_bytes()),
            time_ms: 1_793_581_200_000 + self.sequence as i64 * 1000,
        }
    }

    #[track_caller]
    fn ok(&mut self, log: LogKey, body: Body) -> Position {
        let at = self.next();
        self.matters.apply(&log, at, &body).unwrap();
        at
    }

    #[track_caller]
    fn refused(&mut self, log: LogKey, body: Body) -> MatterError {
        let at = self.next();
        let before = format!("{:?}", self.matters.all().collect::<Vec<_>>());
        let e = self.matters.check(&log, at, &body).unwrap_err();
        assert_eq!(
            before,
            format!("{:?}", self.matters.all().collect::<Vec<_>>())
        );
        e
    }

    fn status(&self, at: &Position) -> Status {
        self.matters.get(&at.hash).unwrap().status.clone()
    }
}

fn of(at: &Position) -> Option<EntryRef> {
    Some(EntryRef {
        log: DISTRICT.to_vec(),
        sequence: at.sequence,
        hash: at.hash.as_bytes().to_vec(),
    })
}

fn intake(id: &str) -> Body {
    Body::DirectMatter(proto::DirectMatter {
        id: id.into(),
        title: "泉城路夜间施工噪音".into(),
        summary: "居民来电反映夜间施工扰民".into(),
        category: proto::Category::DailyLife as i32,
        source: proto::direct_matter::Source::Hotline as i32,
        priority: 0,
        raised_by_commitment: vec![7; 32],
    })
}

fn dispatch(at: &Position, departments: &[&str]) -> Body {
    Body::Dispatch(proto::Dispatch {
        escalation: of(at),
        department_ids: departments.iter().map(|d| d.to_string()).collect(),
        coordination_group: departments.len() > 1,
        priority: 0,
    })
}

fn resolve(at: &Position, department: &str) -> Body {
    Body::Resolution(proto::Resolution {
        escalation: of(at),
        result: format!("{department} 已处理"),
        department_id: department.into(),
    })
}

fn redispatch(at: &Position, department: &str, to: &[&str]) -> Body {
    Body::Redispatch(proto::Redispatch {
        escalation: of(at),
        department_id: department.into(),
        reason: "不属本部门职责".into(),
        to_department_ids: to.iter().map(|d| d.to_string()).collect(),
    })
}

#[test]
fn a_direct_matter_is_dispatched_returned_re_dispatched_and_resolved() {
    let mut desk = Desk::new();
    let matter = desk.ok(DISTRICT, intake("H-1"));
    assert_eq!(desk.status(&matter), Status::Received);
    let m = desk.matters.get(&matter.hash).unwrap();
    assert!(m.direct && m.from == DISTRICT && m.to == DISTRICT);
    // The same id twice at one desk is refused; a street has no desk.
    assert!(matches!(
        desk.refused(DISTRICT, intake("H-1")),
        MatterError::Invalid(_)
    ));
    // Nothing to return before a result; a result before a dispatch.
    assert!(matches!(
        desk.refused(DISTRICT, resolve(&matter, "jtj")),
        MatterError::OutOfOrder { .. }
    ));
    desk.ok(DISTRICT, dispatch(&matter, &["jtj"]));
    assert!(matches!(
        desk.refused(DISTRICT, redispatch(&matter, "jtj", &["cgj"])),
        MatterError::OutOfOrder { .. }
    ));
    // Only the desk that took it in records its steps.
    assert!(matches!(
        desk.refused(STREET, resolve(&matter, "jtj")),
        MatterError::NotAddressee(_)
    ));
    desk.ok(DISTRICT, resolve(&matter, "jtj"));
    assert!(matches!(desk.status(&matter), Status::Resolved(_)));

    // Returned: a reason and a department in the directory are needed.
    let mut reasonless = redispatch(&matter, "jtj", &["cgj"]);
    if let Body::Redispatch(r) = &mut reasonless {
        r.reason = " ".into();
    }
    assert!(matches!(
        desk.refused(DISTRICT, reasonless),
        MatterError::Invalid(_)
    ));
    assert!(matches!(
        desk.refused(DISTRICT, redispatch(&matter, "jtj", &["xyz"])),
        MatterError::NoDepartment(_)
    ));
    assert!(matches!(
        desk.refused(DISTRICT, redispatch(&matter, "cgj", &["zjj"])),
        MatterError::OutOfOrder { .. }
    ));
    desk.ok(DISTRICT, redispatch(&matter, "jtj", &["cgj"]));
    match desk.status(&matter) {
        Status::Dispatched { departments } => {
            assert_eq!(
                departments.into_iter().collect::<Vec<_>>(),
                [("cgj".to_owned(), false)]
            );
        }
        other => panic!("{other:?}"),
    }
    // The returned department's result cannot come again; the new one's can.
    assert!(matches!(
        desk.refused(DISTRICT, resolve(&matter, "jtj")),
        MatterError::NoDepartment(_)
    ));
    desk.ok(DISTRICT, resolve(&matter, "cgj"));
    let m = desk.matters.get(&matter.hash).unwrap();
    assert_eq!(m.status, Status::Resolved("cgj 已处理".into()));
    assert_eq!(
        m.returned,
        [("jtj".to_owned(), "不属本部门职责".to_owned())]
    );
    // The whole path, in order.
    let kinds: Vec<StepKind> = m.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            StepKind::Intake,
            StepKind::Dispatch,
            StepKind::Resolution,
            StepKind::Redispatch,
            StepKind::Resolution
        ]
    );
    // Its last day is the department limit from the re-dispatch, while open.
    assert_eq!(desk.matters.due(m), None);
}

#[test]
fn a_coordination_group_meets_on_a_matter_of_several_departments() {
    let mut desk = Desk::new();
    let matter = desk.ok(DISTRICT, intake("H-2"));
    let meeting = |departments: &[&str], conclusion: &str| {
        Body::CoordinationMeeting(proto::CoordinationMeeting {
            escalation: of(&matter),
            date: "2026-12-08".into(),
            department_ids: departments.iter().map(|d| d.to_string()).collect(),
            conclusion: conclusion.into(),
        })
    };
    // Not before it is dispatched to a group.
    assert!(matches!(
        desk.refused(DISTRICT, meeting(&["jtj", "cgj"], "分工负责")),
        MatterError::OutOfOrder { .. }
    ));
    desk.ok(DISTRICT, dispatch(&matter, &["jtj", "cgj"]));
    let due = desk
        .matters
        .due(desk.matters.get(&matter.hash).unwrap())
        .unwrap();
    assert_eq!(due, Date::in_shanghai(1_793_581_200_000).plus_days(30));
    // Of departments dispatched to, with a conclusion.
    assert!(matches!(
        desk.refused(DISTRICT, meeting(&["zjj"], "分工负责")),
        MatterError::Invalid(_)
    ));
    assert!(matches!(
        desk.refused(DISTRICT, meeting(&["jtj"], " ")),
        MatterError::Invalid(_)
    ));
    desk.ok(
        DISTRICT,
        meeting(&["jtj", "cgj"], "交通局调整施工时段，城管局夜间巡查"),
    );
    desk.ok(DISTRICT, resolve(&matter, "jtj"));
    desk.ok(DISTRICT, resolve(&matter, "cgj"));
    let m = desk.matters.get(&matter.hash).unwrap();
    assert!(matches!(m.status, Status::Resolved(_)));
    assert_eq!(m.meetings.len(), 1);
    assert_eq!(
        m.meetings[0].conclusion,
        "交通局调整施工时段，城管局夜间巡查"
    );
}
