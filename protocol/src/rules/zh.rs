//! The rules' refusals in Chinese (中文提示), as the console shows them to
//! staff next to what they typed. [`RuleError`]'s own messages stay English
//! for logs, the CLI's `--lang en` and the tests; this is their Chinese
//! reading, one place for every term the rules use.

use super::error::RuleError;
use super::state::TopicStatus;

/// A term the rules use (a record, a field, an action, a state), in
/// Chinese; a term not listed is shown as it is.
fn term(en: &str) -> &str {
    match en {
        "a body" => "正文",
        "a round" | "round" => "征询",
        "a question" => "征询的问题",
        "a tally" => "计票",
        "the round's purpose" => "征询的用途",
        "it needs two to ten options, each named once" => "须有 2 至 10 个选项，名称不重复",
        "it issues between 1 and 10,000 codes" => "参与码须为 1 至 10000 个",
        "its salt and codes root are 32 bytes each" => "盐值和参与码根须各为 32 字节",
        "it closes before it opens" => "截止时间早于开始时间",
        "its id is at most 64 characters, without spaces or slashes" => {
            "编号最多 64 个字符，不能含空格或斜杠"
        }
        "its topic is not on the meeting's agenda" => "议题不在该会议的议程上",
        "the meeting has already formed its result" => "会议已形成结果，不能再开征询",
        "it is already tallied" => "已经计票",
        "the counts are not one per option" => "票数须与选项一一对应",
        "the counts do not add up to the ballots" => "各选项票数之和不等于总票数",
        "more ballots than codes issued" => "票数多于发放的参与码",
        "more comments than ballots" => "留言数多于票数",
        "the ballots' root is not 32 bytes" => "选票根须为 32 字节",
        "residents are still evaluating by code: its tally records the evaluation" => {
            "居民正在凭参与码评议：评议结果由计票记录"
        }
        "open evaluation round of topic" => "进行中的评议",
        "an evaluation round needs the three answers" => "评议须用“满意、基本满意、不满意”三个选项",
        "a catalogue item" => "协商事项目录子项",
        "a charter" => "章程",
        "a cross-community meeting" => "跨社区协商会议",
        "a deadline" => "办理期限",
        "immediate_days" => "即办件的办理时限（天）",
        "suggestion_days" => "建议件上报时限（天）",
        "decision_days" => "上报事项的决定时限（天）",
        "department_days" => "派单后部门的办理时限（天）",
        "mediation_days" => "个人纠纷的调解时限（天）",
        "a follow-up" | "a follow-up visit" => "回访",
        "a mediator" => "调解人",
        "a meeting" | "meeting" => "协商会议",
        "a meeting with other communities" => "有其他社区参加的会议",
        "a name" => "名称",
        "a notice" | "notice" => "公示",
        "a notice period" => "进展公示周期",
        "a participant" | "participant" => "协商主体",
        "a progress report" | "progress" => "办理进展",
        "a proposed solution" => "建议的解决方案",
        "a resolution or return notice" => "办结或退回公示",
        "a responsible party" => "责任主体",
        "a title" => "标题",
        "a topic" | "topic" => "议题",
        "accepted" => "待协商",
        "accepting" => "把关通过",
        "admitted office" => "已接纳的机构",
        "an escalation" => "上报",
        "an evaluation" => "居民评议",
        "an explanation for the residents" => "向居民的说明",
        "an id" => "编号",
        "an office profile" => "办公室简介",
        "an outcome" => "分流分类",
        "approving" | "approving a dispute for consultation" => "党组织审定纠纷进入协商",
        "at least one topic" => "至少一个议题",
        "being carried out or done" => "办理中或已办结",
        "charter" => "章程",
        "classified as a suggestion" => "已分类为建议件",
        "declining" | "declining a topic" => "不予协商",
        "done" => "已办结",
        "escalated" => "已上报",
        "escalation of topic" => "议题上报",
        "correction of notice" => "更正（该公示已更正过，请更正最新的更正公示）",
        "form-result" => "形成结果",
        "immediate or promised" => "即办件或承诺件",
        "measures" => "办理措施",
        "on a meeting's agenda (consulted on)" => "已列入会议议程",
        "proposed" => "待把关",
        "referred" => "调解中",
        "a mediation" => "调解结果",
        "an assignment" => "交办议题",
        "assignment" => "交办议题",
        "assignment to this office" => "交给本机构的议题",
        "a reply" => "交办议题的答复",
        "reply to assignment" => "交办议题的答复",
        "the assignment's id" => "交办议题编号",
        "declining an assignment" => "不接受交办议题",
        "accepting an assignment" => "接受交办议题",
        "a reason" => "理由",
        "a correction" => "更正",
        "oversight" => "全过程监督",
        "supervisors" => "监督人",
        "a supervisor's name or role" => "监督人的姓名或身份",
        "a supervisor's kind" => "监督人类别",
        "an oversight body" => "参与监督的部门",
        "the oversight's phase" => "监督阶段（事前、事中、事后）",
        "oversight in this phase" => "该阶段的监督",
        "oversight of money spent" => "涉及资金使用事项的监督",
        "the discipline-inspection, finance and audit bodies" => {
            "邀请上级纪检监察、财政、审计部门参与"
        }
        "accepted, on a meeting's agenda, or classified with no progress yet" => {
            "待协商、协商中或已分类尚未开始办理"
        }
        "a designation" => "指定专人",
        "a briefing" => "政策宣讲材料",
        "files" => "文件",
        "a file's name" => "文件名",
        "a file's SHA-256" => "文件的 SHA-256 摘要",
        "the briefing's files" => "一次登记的宣讲材料文件数",
        "a briefing file's size" => "宣讲材料文件大小（字节）",
        "a file's kind (PDF, PNG, JPEG or plain text)" => {
            "文件类型（仅限 PDF、PNG、JPEG 或纯文本）"
        }
        "a role" => "职务",
        "an office" => "所在单位",
        "the designation's duty" => "专人负责的事项",
        "designating who drafts the plan" => "指定拟定协商方案的专人",
        "designating who coordinates a dispute" => "指定纠纷协调专人",
        "designating who follows a matter" => "指定上报事项跟踪协调专人",
        "accepted or on a meeting's agenda" => "待协商或协商中",
        "the corrected text" => "更正后的内容",
        "a standing member" | "standing member" => "联席会议成员单位",
        "a member's proposal" => "成员单位提出议题",
        "the study day" => "定期研究日",
        "the mediator's summary" => "调解人的调解情况摘要",
        "referring" | "referring a dispute" => "转交调解",
        "scheduling a meeting" => "安排协商会议",
        "sign-in" => "签到",
        "summary" => "情况说明",
        "supervision" => "监督",
        "supervisors or oversight bodies" => "监督人或监督机构",
        "text" => "内容",
        "the catalogue item's category" => "目录子项的类别",
        "the charter's action" => "章程的操作",
        "the commitment" => "承诺值",
        "the cross-community level" => "跨社区层级",
        "the dispute's details" => "纠纷详情",
        "the law, regulation or decision that settles it (citation)" => {
            "已有规定的法规或决定（依据）"
        }
        "the meeting's form" => "会议形式",
        "the meeting's level" => "会议层级",
        "the number of attendees" => "到会人数",
        "the office's name" => "机构名称",
        "the outcome class" => "分类",
        "the participant's kind" => "协商主体类别",
        "the party organisation meeting that approved it" => "审定的党组织会议",
        "the procedure the street set" => "街道确定的议事程序",
        "the profile's level" => "简介的层级",
        "the result" => "协商结果",
        "the sign-in sheet" => "签到表",
        "the topic's category" => "议题类别",
        "the assignment's category" => "交办议题的类别",
        "the assignment's scale" => "交办议题的三事类别",
        "the assignment's entry" => "交办议题的台账条目",
        "the standing member's kind" => "成员单位类别",
        "the study months (1 to 12, each once, in order)" => {
            "定期研究的月份（1 至 12，不重复，按顺序）"
        }
        "the topic's scale" => "三事类别",
        "the topic's source" => "议题来源",
        "the verdict" => "把关意见",
        "who raised the topic" => "议题提出人",
        other => other,
    }
}

impl TopicStatus {
    /// Where the topic stands, in Chinese, as the board names it.
    pub fn zh(self) -> &'static str {
        status(self)
    }
}

fn status(s: TopicStatus) -> &'static str {
    match s {
        TopicStatus::Proposed => "待把关",
        TopicStatus::Declined => "不予协商",
        TopicStatus::Referred => "调解中",
        TopicStatus::Settled => "调解成功",
        TopicStatus::Unsettled => "调解未成",
        TopicStatus::Accepted => "待协商",
        TopicStatus::Scheduled => "协商中",
        TopicStatus::Classified(_) => "办理中",
        TopicStatus::Done => "已办结",
        TopicStatus::Evaluated => "已评议",
        TopicStatus::Reopened => "已重新协商",
    }
}

/// A meeting step's name in Chinese (七定): 签到, 说明议题, …, 公开结果.
pub fn step_zh(step_: crate::proto::meeting_step::Step) -> &'static str {
    step(super::names::step_name(step_ as i32))
}

fn step(en: &str) -> &str {
    match en {
        "sign-in" => "签到",
        "explain-topic" => "说明议题",
        "introduce-participants" => "介绍协商主体",
        "read-rules" => "宣读议事规则",
        "discuss" => "协商讨论",
        "form-result" => "形成结果",
        "publish-result" => "公开结果",
        other if other.starts_with("none") => "无（七步已完成）",
        other => other,
    }
}

impl RuleError {
    /// The refusal in Chinese.
    pub fn zh(&self) -> String {
        use RuleError::*;
        match self {
            Missing { record, field } => format!("{}缺少必填项：{}", term(record), term(field)),
            Duplicate { kind, id } => format!("已有编号为“{id}”的{}", term(kind)),
            Unknown { kind, id } => format!("没有编号为“{id}”的{}", term(kind)),
            TopicStatus {
                topic,
                status: now,
                action,
                needs,
            } => format!(
                "议题“{topic}”目前为{}，{}要求议题处于{}",
                status(*now),
                term(action),
                term(needs)
            ),
            DisputeNotApproved(topic) => {
                format!("议题“{topic}”属个人纠纷，须经党组织审定后才能进入协商")
            }
            ParticipantWithdrawn(p) => format!("协商主体“{p}”已退出名单"),
            MajorNeedsMeeting(topic) => {
                format!("议题“{topic}”属大事大议，须召开协商会议，不能用卡片或线上协商")
            }
            MajorNeedsTwoKinds { topic, kinds } => {
                format!("议题“{topic}”属大事大议，协商主体至少要有两类，本次会议只有 {kinds} 类")
            }
            UrgentNotAtOnce {
                topic,
                date,
                latest,
            } => format!("议题“{topic}”属急事立议，会议须在 {latest} 前召开，不能定在 {date}"),
            StepOutOfOrder {
                meeting,
                expected,
                got,
            } => format!(
                "会议“{meeting}”下一步应为“{}”，不是“{}”",
                step(expected),
                step(got)
            ),
            MeetingNotYet { meeting, date } => {
                format!("会议“{meeting}”定于 {date}，当天之前不能记录会议步骤")
            }
            ResultNotFormed(meeting) => format!("会议“{meeting}”尚未形成协商结果"),
            WrongMeeting {
                topic,
                scheduled,
                given,
            } => format!("议题“{topic}”在会议“{scheduled}”的议程上，不是“{given}”"),
            NoFollowUp(topic) => format!("议题“{topic}”尚未回访"),
            EmptyEvaluation(topic) => format!("议题“{topic}”的评议至少需要一票"),
            NotShelved {
                topic,
                reopens,
                status: then,
            } => format!(
                "议题“{topic}”只能重新协商搁置件；“{reopens}”目前为{}",
                status(*then)
            ),
            NotInCatalogue { category, item } => {
                format!("协商事项目录的“{category}”下没有子项“{item}”，请先添加")
            }
            BadKey(key) => format!("不是机构的公钥：{key}"),
            CharterLevel(level) => {
                format!("章程只能接纳街道或社区，市级章程只能接纳区，不能接纳“{level}”")
            }
            AdmitsBelow { office, child } => {
                format!(
                    "{office}级机构不能接纳{child}级机构：市以市级章程接纳区，区接纳街道，街道接纳社区"
                )
            }
            DistrictOnly(level) => format!("部门目录由区或市维护；本机构为{level}级"),
            CityOnly(level) => format!("只有市级机构记录市级章程；本机构为{level}级"),
            DeskOnly(level) => {
                format!("直接受理、协调小组和改派由区（12345 平台）办理；本机构为{level}级")
            }
            StreetOnly(level) => {
                format!(
                    "协商联席会议（成员单位、成员提议、重大事项定期研究）由街道记录；本机构为{level}级"
                )
            }
            AssignsBelow(level) => format!("{level}级机构下面没有可交办议题的机构"),
            Date(e) => format!("日期格式应为 YYYY-MM-DD：{}", e.0),
            BadCommitment(what) => format!("{}须为 32 字节的加盐承诺值", term(what)),
            Unspecified(what) => format!("{}未填写或无效", term(what)),
            RoundNeedsOnlineOrCard { round, meeting } => {
                format!("征询“{round}”：会议“{meeting}”是现场会议；征询只用于网上微协商或卡片协商")
            }
            Round { round, why } => format!("征询“{round}”：{}", term(why)),
            RoundStillOpen { meeting, round } => {
                format!("会议“{meeting}”的征询“{round}”尚未结束，请先结束征询、完成计票")
            }
            TallyEarly(round) => {
                format!("征询“{round}”尚未到截止时间，参与码也未用完：提前计票须写明理由")
            }
            OutOfRange { what, value, max } => {
                format!("{}为 {value}，最多 {max}", term(what))
            }
        }
    }
}

impl super::state::Overdue {
    /// Why the item is overdue, in Chinese.
    pub fn zh(self) -> String {
        use super::state::Overdue::*;
        match self {
            DeadlinePassed(d) => format!("已过办理期限 {d}"),
            ProgressNoticeMissed(d) => format!("自 {d} 起未按期公示进展"),
            NotCarriedOut(d) => format!("即办件超过办理时限 {d} 仍未办结"),
            NotSentUp(d) => format!("建议件超过上报时限 {d} 仍未上报"),
            MediationPassed(d) => format!("个人纠纷超过调解时限 {d} 仍未调结"),
        }
    }
}

impl super::calendar::DateError {
    /// The refusal in Chinese.
    pub fn zh(&self) -> String {
        format!("日期格式应为 YYYY-MM-DD，且须是存在的日期：“{}”", self.0)
    }
}

impl super::names::UnknownName {
    /// The refusal in Chinese (the choices stay as the names the API takes).
    pub fn zh(&self) -> String {
        let what = match self.what {
            "category" => "议题类别",
            "scale" => "三事类别",
            "source" => "议题来源",
            "participant kind" => "协商主体类别",
            "meeting level" => "会议层级",
            "meeting form" => "会议形式",
            "meeting step" => "会议步骤",
            "outcome class" => "分类",
            "level" => "层级",
            "charter action" => "章程的操作",
            "priority" => "紧急程度",
            "decision" => "决定",
            other => other,
        };
        format!("{what}“{}”无效，应为：{}", self.given, self.choices)
    }
}

impl crate::escalation::MatterError {
    /// The refusal in Chinese.
    pub fn zh(&self) -> String {
        use crate::escalation::MatterError::*;
        match self {
            Unknown(m) => format!("没有上报事项 {m}"),
            NotAddressee(m) => format!("上报事项 {m} 不是报给本机构的"),
            OutOfOrder {
                matter,
                status,
                action,
            } => {
                let status = match *status {
                    "sent" => "已上报、未签收",
                    "received" => "已签收",
                    "accepted" => "自行办理中",
                    "returned" => "已退回",
                    "forwarded" => "已转报",
                    "dispatched" => "已派单",
                    "resolved" => "已办结",
                    other => other,
                };
                let action = match *action {
                    "received" => "签收",
                    "decided on" => "再作决定",
                    "dispatched" => "派单",
                    "resolved again" => "再次办结",
                    "resolved" => "办结",
                    "forwarded twice" => "再次转报",
                    other => other,
                };
                format!("上报事项 {matter} 目前{status}，不能{action}")
            }
            Invalid(why) => match why.as_str() {
                "a department needs an id and a name" => "部门须有编号和名称".into(),
                "a returned matter needs a reason" => "退回须写明理由".into(),
                "the decision's verdict" => "请选择决定：自行办理、退回或转报".into(),
                "a dispatch names at least one department" => "派单至少选择一个部门".into(),
                "only a forwarded matter is dispatched to departments" => {
                    "只有已转报到本级的事项才能派单".into()
                }
                "a resolution needs its result" => "办结须写明办理结果".into(),
                "an escalation needs an id and the consultation's result" => {
                    "上报须有编号和协商结果".into()
                }
                other => other.to_owned(),
            },
            NoDepartment(d) => format!("区部门目录中没有部门“{d}”"),
        }
    }
}
