//! Staff accounts: one-time passwords that must be changed, Argon2id hashes
//! in a private file, roles, disabling and resetting, and wrong passwords
//! refused without saying which part was wrong.

use std::os::unix::fs::PermissionsExt;

use yiyi_node::staff::{Permission, Role, Staff, StaffError};

#[test]
fn an_account_signs_in_with_its_one_time_password_then_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let staff = Staff::new(dir.path());
    let given = staff.add("张红", Role::Secretary).unwrap();
    assert_eq!(given.len(), 12);

    let account = staff.authenticate("张红", &given).unwrap();
    assert!(account.must_change);
    assert!(
        account.password.starts_with("$argon2id$"),
        "{}",
        account.password
    );
    assert!(!account.password.contains(&given));
    // The file holds hashes only, and only the node's user may read it.
    let file = dir.path().join("staff.json");
    assert!(!std::fs::read_to_string(&file).unwrap().contains(&given));
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A chosen password: long enough, not the old one.
    assert!(matches!(
        staff.change_password("张红", &given, "short"),
        Err(StaffError::WeakPassword(_))
    ));
    assert!(matches!(
        staff.change_password("张红", &given, &given),
        Err(StaffError::WeakPassword(_))
    ));
    assert!(matches!(
        staff.change_password("张红", "not-the-password", "舜玉社区议一议2026"),
        Err(StaffError::WrongPassword)
    ));
    staff
        .change_password("张红", &given, "舜玉社区议一议2026")
        .unwrap();
    assert!(
        !staff
            .authenticate("张红", "舜玉社区议一议2026")
            .unwrap()
            .must_change
    );
    assert!(matches!(
        staff.authenticate("张红", &given),
        Err(StaffError::WrongPassword)
    ));
    // An unknown name and a wrong password look the same.
    assert_eq!(
        staff
            .authenticate("李四", "whatever")
            .unwrap_err()
            .to_string(),
        staff
            .authenticate("张红", "whatever")
            .unwrap_err()
            .to_string()
    );
}

#[test]
fn accounts_are_unique_closed_and_reopened_by_reset() {
    let dir = tempfile::tempdir().unwrap();
    let staff = Staff::new(dir.path());
    let first = staff.add("王芳", Role::Staff).unwrap();
    assert!(matches!(
        staff.add("王芳", Role::Viewer),
        Err(StaffError::Exists(_))
    ));
    assert!(matches!(
        staff.add("  ", Role::Viewer),
        Err(StaffError::BadName(_))
    ));
    staff.add("赵监督", Role::Viewer).unwrap();
    let names: Vec<(String, Role)> = staff
        .list()
        .unwrap()
        .into_iter()
        .map(|a| (a.name, a.role))
        .collect();
    assert_eq!(
        names,
        [
            ("王芳".to_owned(), Role::Staff),
            ("赵监督".to_owned(), Role::Viewer)
        ]
    );

    staff.disable("王芳").unwrap();
    assert!(matches!(
        staff.authenticate("王芳", &first),
        Err(StaffError::Disabled(_))
    ));
    let again = staff.reset("王芳").unwrap();
    assert_ne!(again, first);
    assert!(staff.authenticate("王芳", &again).unwrap().must_change);
    assert!(matches!(staff.reset("无此人"), Err(StaffError::Unknown(_))));
}

#[test]
fn roles_grant_what_the_case_study_gives_them() {
    use Permission::*;
    for what in [Record, Approve, Charter, Decide, ManageStaff] {
        assert!(Role::Secretary.may(what));
        assert!(!Role::Viewer.may(what));
    }
    assert!(Role::Staff.may(Record));
    for what in [Approve, Charter, Decide, ManageStaff] {
        assert!(!Role::Staff.may(what), "{what:?}");
    }
    assert_eq!(Role::parse("viewer"), Ok(Role::Viewer));
    assert!(Role::parse("admin").is_err());
}

#[test]
fn concurrent_changes_from_the_command_line_and_the_node_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let staff = Staff::new(&path);
                for n in 0..3 {
                    staff.add(&format!("人员{t}-{n}"), Role::Staff).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(Staff::new(&path).list().unwrap().len(), 12);
}
