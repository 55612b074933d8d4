//! What an office may record at its level: a district admits streets and
//! keeps the department directory; a street admits its communities; a
//! community admits nobody. Apart from [`super::Consultation::check`]
//! because it depends on the office, not on the ledger's state.

use super::error::RuleError;
use super::names;
use crate::proto::{Level, charter::Action, entry::Body};

/// Whether an office at `level` may record `body`.
pub fn check_level(level: Level, body: &Body) -> Result<(), RuleError> {
    let office = names::level_name(level as i32);
    match body {
        Body::Charter(c) if c.action == Action::Admit as i32 => {
            let below = match level {
                Level::District => Some(Level::Street),
                Level::Street => Some(Level::Community),
                _ => None,
            };
            if below.is_some_and(|b| b as i32 == c.level) {
                Ok(())
            } else {
                Err(RuleError::AdmitsBelow {
                    office,
                    child: names::level_name(c.level),
                })
            }
        }
        Body::Department(_) if level != Level::District => Err(RuleError::DistrictOnly(office)),
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
        assert_eq!(
            check_level(Level::Street, &department),
            Err(RuleError::DistrictOnly("street"))
        );
    }
}
