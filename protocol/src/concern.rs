//! A resident's concern (居民反映), as she raises it from the board: what,
//! where, under which category of the catalogue, and optionally how to
//! reach her. The raw form ([`ConcernForm`], the HTTP contract's JSON) is
//! checked once here ([`ConcernForm::check`]) into a [`Concern`]; the node
//! keeps it in its private store and never replicates it. What is refused
//! says why in Chinese and in English.

use serde::{Deserialize, Serialize};

use crate::rules::{Consultation, names};

/// Characters a concern's text may have at most.
pub const MAX_WHAT: usize = 2000;
/// Characters of the place, and of the contact, at most.
pub const MAX_SHORT: usize = 200;

/// A concern as posted to `POST /api/v1/concerns`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConcernForm {
    /// What the matter is.
    pub what: String,
    /// Where (a building, a courtyard, a street).
    #[serde(default, rename = "where")]
    pub place: String,
    /// The catalogue's category (`daily-life`, `public-affairs`, …).
    pub category: String,
    /// The catalogue's sub-item under it, if she picked one.
    #[serde(default)]
    pub sub_item: String,
    /// How to reach her, if she wants an answer other than by receipt.
    #[serde(default)]
    pub contact: String,
}

/// A concern that passed the checks: what the node keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concern {
    /// What the matter is (trimmed).
    pub what: String,
    /// Where.
    pub place: String,
    /// The category's value (`proto::topic::Category`).
    pub category: i32,
    /// The sub-item, or empty.
    pub sub_item: String,
    /// How to reach her, or empty.
    pub contact: String,
}

/// Why a concern is refused: the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConcernError {
    /// Nothing said.
    #[error("say what the matter is")]
    Empty,
    /// Too long.
    #[error("{field} has {chars} characters; at most {max}")]
    TooLong {
        /// The form's field.
        field: &'static str,
        /// Its length in characters.
        chars: usize,
        /// The most allowed.
        max: usize,
    },
    /// A control character (other than a line break) in the text.
    #[error("{field} holds a control character")]
    Control {
        /// The form's field.
        field: &'static str,
    },
    /// A category no catalogue has.
    #[error("{0}")]
    Category(names::UnknownName),
    /// A sub-item this office's catalogue does not list.
    #[error("the catalogue has no sub-item {item:?} under {category}")]
    SubItem {
        /// The category's name.
        category: String,
        /// The sub-item given.
        item: String,
    },
}

impl ConcernError {
    /// The form's field it is about.
    pub fn field(&self) -> &'static str {
        match self {
            ConcernError::Empty => "what",
            ConcernError::TooLong { field, .. } | ConcernError::Control { field } => field,
            ConcernError::Category(_) => "category",
            ConcernError::SubItem { .. } => "sub_item",
        }
    }

    /// The reason in Chinese, for the board.
    pub fn zh(&self) -> String {
        let field = |f: &str| match f {
            "what" => "反映内容",
            "where" => "地点",
            "contact" => "联系方式",
            _ => "此项",
        };
        match self {
            ConcernError::Empty => "请写明要反映的事情".into(),
            ConcernError::TooLong {
                field: f,
                chars,
                max,
            } => {
                format!("{}有 {chars} 个字，最多 {max} 个字", field(f))
            }
            ConcernError::Control { field: f } => format!("{}含有无法显示的控制字符", field(f)),
            ConcernError::Category(e) => format!("没有“{}”这一类别", e.given),
            ConcernError::SubItem { item, .. } => format!("本社区的协商事项目录中没有“{item}”"),
        }
    }
}

/// Checks a text field: at most `max` characters, no control characters
/// but line breaks (and tabs). Returns it trimmed.
fn text(field: &'static str, value: &str, max: usize) -> Result<String, ConcernError> {
    let value = value.trim();
    let chars = value.chars().count();
    if chars > max {
        return Err(ConcernError::TooLong { field, chars, max });
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ConcernError::Control { field });
    }
    Ok(value.to_owned())
}

impl ConcernForm {
    /// Checks the form against the office's catalogue. Markup in it is
    /// text: it is kept as typed and shown escaped.
    pub fn check(&self, state: &Consultation) -> Result<Concern, ConcernError> {
        let what = text("what", &self.what, MAX_WHAT)?;
        if what.is_empty() {
            return Err(ConcernError::Empty);
        }
        let place = text("where", &self.place, MAX_SHORT)?;
        let contact = text("contact", &self.contact, MAX_SHORT)?;
        let category = names::category(self.category.trim()).map_err(ConcernError::Category)?;
        let sub_item = text("sub_item", &self.sub_item, MAX_SHORT)?;
        if !sub_item.is_empty() && !state.catalogue.contains_key(&(category, sub_item.clone())) {
            return Err(ConcernError::SubItem {
                category: names::category_name(category).into(),
                item: sub_item,
            });
        }
        Ok(Concern {
            what,
            place,
            category,
            sub_item,
            contact,
        })
    }
}

/// Where a concern stands, as `GET /api/v1/concerns/{receipt}` says it to
/// whoever holds the receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcernStatus {
    /// `received`, `topic` (taken up as a topic), `merged` (joined a topic
    /// taken up before, with other residents' concerns), `matter` (taken
    /// in at the district's 12345 desk) or `answered`.
    pub status: String,
    /// When it was received (ms since the epoch).
    pub received_ms: i64,
    /// What she wrote (only the receipt's holder sees it).
    pub what: String,
    /// The topic it became, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The office's reply, if it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// Taken in at the 12345 desk: the matter's id, where it stands
    /// (`received`, `dispatched`, `resolved`) and its result once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matter: Option<ConcernMatter>,
}

/// The matter a concern became at the 12345 desk, for its receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcernMatter {
    /// The matter's id at the desk.
    pub id: String,
    /// Where it stands.
    pub status: String,
    /// The result, once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

/// The answer to a concern taken in: its receipt (shown once; the node
/// keeps only its hash) and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcernReceipt {
    /// The receipt code, `XXXX-XXXX-XXXX-XXXX`.
    pub receipt: String,
    /// `received`.
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(what: &str) -> ConcernForm {
        ConcernForm {
            what: what.into(),
            category: "daily-life".into(),
            ..ConcernForm::default()
        }
    }

    #[test]
    fn a_concern_is_checked_field_by_field() {
        let state = Consultation::default();
        let ok = form("  楼道灯坏了 <b>三号楼</b> 🏮\n请尽快修  ")
            .check(&state)
            .unwrap();
        assert_eq!(ok.what, "楼道灯坏了 <b>三号楼</b> 🏮\n请尽快修");
        assert_eq!(form("   ").check(&state), Err(ConcernError::Empty));
        let long = form(&"灯".repeat(MAX_WHAT + 1)).check(&state).unwrap_err();
        assert_eq!(long.field(), "what");
        assert!(long.zh().contains("2001"), "{}", long.zh());
        assert!(form(&"🏮".repeat(MAX_WHAT)).check(&state).is_ok());
        assert_eq!(
            form("a\u{0}b").check(&state),
            Err(ConcernError::Control { field: "what" })
        );
        let mut unknown = form("x");
        unknown.category = "weather".into();
        assert_eq!(unknown.check(&state).unwrap_err().field(), "category");
        let mut item = form("x");
        item.sub_item = "为老服务".into();
        assert_eq!(item.check(&state).unwrap_err().field(), "sub_item");
    }
}
