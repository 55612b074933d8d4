//! What an office may record at its level: a city (the optional root)
//! admits districts, by city charter; a district admits streets; a street
//! its communities; a community nobody. The department directory is kept
//! where matters are dispatched: at a district, and at a city. Apart from
//! [`super::Consultation::check`] because it depends on the office, not on
//! the ledger's state.

use super::error::RuleError;
use super::names;
use crate::proto::{Level, charter::Action, entry::Body};

/// Whether an office at `level` may record `body`.
pub fn check_level(level: Level, body: &Body) -> Result<(), RuleError> {
    let office = names::level_name(level as i32);
    let admits = |c: &crate::proto::Charter, below: Option<Level>| {
        if c.action != Action::Admit as i32 || below.is_some_and(|b| b as i32 == c.level) {
            Ok(())
        } else {
            Err(RuleError::AdmitsBelow {
                office,
                child: names::level_name(c.level),
            })
        }
    };
    match body {
        // A city's charters are city charters, and only a city's.
        Body::CityCharter(_) if level != Level::City => Err(RuleError::CityOnly(office)),
        Body::CityCharter(c) => match &c.charter {
            Some(c) => admits(c, Some(Level::District)),
            None => Err(RuleError::Unspecified("the city charter's charter")),
        },
        // A city's own charters are all city charters (an older node would
        // read a revocation of a district it never saw admitted).
        Body::Charter(c) if level == Level::City => Err(RuleError::AdmitsBelow {
            office,
            child: names::level_name(c.level),
        }),
        Body::Charter(c) => admits(
            c,
            match level {
                Level::District => Some(Level::Street),
                Level::Street => Some(Level::Community),
                _ => None,
            },
        ),
        Body::Department(_) if !matches!(level, Level::District | Level::City) => {
            Err(RuleError::DistrictOnly(office))
        }
        // The 12345 desk is a district's (or a city's).
        Body::DirectMatter(_) | Body::CoordinationMeeting(_) | Body::Redispatch(_)
            if !matches!(level, Level::District | Level::City) =>
        {
            Err(RuleError::DeskOnly(office))
        }
        // The joint meeting (协商联席会议) is a street's.
        Body::StandingMember(_) | Body::MemberProposal(_) | Body::StudySchedule(_)
            if level != Level::Street =>
        {
            Err(RuleError::StreetOnly(office))
        }
        // Topics go down to the offices an office admits.
        Body::Assignment(_) if !matches!(level, Level::Street | Level::District) => {
            Err(RuleError::AssignsBelow(office))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{self, charter};

    fn admit(level: Level) -> Body {
        Body::Charter(proto::Charter {
            action: charter::Action::Admit as i32,
            level: level as i32,
            ..Default::default()
        })
    }

    #[test]
    fn each_level_admits_the_one_below_and_only_the_district_keeps_departments() {
        assert_eq!(check_level(Level::District, &admit(Level::Street)), Ok(()));
        assert_eq!(check_level(Level::Street, &admit(Level::Community)), Ok(()));
        assert!(matches!(
            check_level(Level::District, &admit(Level::Community)),
            Err(RuleError::AdmitsBelow {
                office: "district",
                child: "community"
            })
        ));
        assert!(check_level(Level::Community, &admit(Level::Community)).is_err());
        let department = Body::Department(proto::Department::default());
        assert_eq!(check_level(Level::District, &department), Ok(()));
        assert_eq!(check_level(Level::City, &department), Ok(()));
        assert_eq!(
            check_level(Level::Street, &department),
            Err(RuleError::DistrictOnly("street"))
        );
    }

    #[test]
    fn a_city_admits_districts_only_by_city_charter() {
        let city = |level: Level| {
            Body::CityCharter(proto::CityCharter {
                charter: Some(proto::Charter {
                    action: charter::Action::Admit as i32,
                    level: level as i32,
                    ..Default::default()
                }),
            })
        };
        assert_eq!(check_level(Level::City, &city(Level::District)), Ok(()));
        assert!(matches!(
            check_level(Level::City, &city(Level::Street)),
            Err(RuleError::AdmitsBelow { office: "city", .. })
        ));
        // Not by the older kind (an older node would read a district
        // admitting a district), and nobody else records the city's kind.
        assert!(check_level(Level::City, &admit(Level::District)).is_err());
        assert_eq!(
            check_level(Level::District, &city(Level::District)),
            Err(RuleError::CityOnly("district"))
        );
    }
}
