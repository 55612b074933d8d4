//! The choices the console's selects offer: the names the API takes (as
//! `yiyi_protocol::rules::names` reads them), with Chinese and English
//! labels.

/// A choice in a select: the value the API takes, its Chinese and English
/// labels.
pub(crate) type Choice = (&'static str, &'static str, &'static str);

pub(crate) const CATEGORIES: &[Choice] = &[
    ("daily-life", "日常生活及矛盾类", "Daily life and disputes"),
    ("public-affairs", "公共事务类", "Public affairs"),
    ("policy", "政策部署执行类", "Carrying out policy"),
];
pub(super) const SCALES: &[Choice] = &[
    ("minor", "小事小议", "Minor (小事小议)"),
    ("major", "大事大议", "Major (大事大议)"),
    ("urgent", "急事立议", "Urgent (急事立议)"),
];
pub(super) const SOURCES: &[Choice] = &[
    ("resident", "居民提出", "Raised by a resident"),
    ("home-visit", "民情家访", "Home visit"),
    ("building-chat", "楼院杂谈", "Building chat"),
    ("online-group", "网络群组", "Online group"),
    ("party-organisation", "党组织", "Party organisation"),
    (
        "street-joint-meeting",
        "街道联席会议",
        "Street joint meeting",
    ),
];

pub(super) const PARTICIPANT_KINDS: &[Choice] = &[
    ("party-organisation", "党组织", "Party organisation"),
    (
        "residents-committee",
        "居委会（两委）",
        "Residents' committee",
    ),
    (
        "resident-representative",
        "居民代表",
        "Residents' representatives",
    ),
    ("resident-unit", "驻区单位", "Unit in the area"),
    ("owners-committee", "业委会", "Owners' committee"),
    ("property-management", "物业", "Property management"),
    ("government-department", "政府部门", "Government department"),
    ("expert", "专家、第三方", "Expert, third party"),
];

/// The levels a meeting is held at (a cross-community one is chosen by
/// ticking the communities taking part).
pub(super) const MEETING_LEVELS: &[Choice] = &[
    ("community", "社区", "Community"),
    ("grid", "网格", "Grid"),
    ("unit", "单元（楼栋）", "Unit (building)"),
    ("street", "街道", "Street"),
];

/// The label of `value` in `table`, in the page's language.
pub(crate) fn label(table: &[Choice], value: &str, en: bool) -> String {
    table
        .iter()
        .find(|(v, _, _)| *v == value)
        .map_or(value, |(_, zh, en_label)| if en { en_label } else { zh })
        .to_owned()
}
