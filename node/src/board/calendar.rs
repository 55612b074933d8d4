//! Each office's meetings as an iCalendar feed (会议日历, RFC 5545) at
//! `/feeds/{log}.ics`: a resident subscribes once on her phone and sees
//! every consultation the office schedules, with its date, place, form
//! and topics, without visiting the board. One `VEVENT` per meeting, its
//! `UID` the scheduling entry's hash (stable, and unique across offices),
//! all-day on the meeting's date in Asia/Shanghai (the ledger records the
//! date, not the hour).

use std::fmt::Write;

use yiyi_protocol::rules::{Date, notices};

use super::course::Replayed;

/// The calendar of the office `office`, from its replayed ledger; `board`
/// is the board's absolute URL (each event links to it).
pub(super) fn calendar(office: &str, replayed: &Replayed, board: &str) -> String {
    let mut ics = String::new();
    let mut line = |text: &str| fold(&mut ics, text);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line(&format!(
        "PRODID:-//yiyi//yiyi-node {}//ZH",
        env!("CARGO_PKG_VERSION")
    ));
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line(&format!(
        "X-WR-CALNAME:{}",
        text(&format!("{office} 协商会议"))
    ));
    line("X-WR-TIMEZONE:Asia/Shanghai");
    let state = &replayed.state;
    for (id, meeting) in &state.meetings {
        let Some(scheduled) = replayed.scheduled.get(id) else {
            continue;
        };
        let Ok(date) = Date::parse(&meeting.meeting.date) else {
            continue;
        };
        let titles: Vec<&str> = meeting
            .meeting
            .topic_ids
            .iter()
            .map(|t| state.topics.get(t).map_or(t.as_str(), |t| &t.topic.title))
            .collect();
        let form = notices::form_zh(meeting.meeting.form);
        let participants: Vec<&str> = meeting
            .meeting
            .participant_ids
            .iter()
            .map(|p| {
                state
                    .participants
                    .get(p)
                    .map_or(p.as_str(), |p| &p.record.name)
            })
            .collect();
        let mut description = format!("{form}\n议题：{}", titles.join("；"));
        if !participants.is_empty() {
            let _ = write!(description, "\n参与方：{}", participants.join("、"));
        }
        if meeting.result_formed() {
            description.push_str("\n已形成协商结果，见公示栏。");
        }
        line("BEGIN:VEVENT");
        line(&format!("UID:{}@yiyi", scheduled.hash));
        line(&format!("DTSTAMP:{}", utc(scheduled.time_ms)));
        line(&format!("DTSTART;VALUE=DATE:{}", compact(date)));
        line(&format!("DTEND;VALUE=DATE:{}", compact(date.plus_days(1))));
        line(&format!(
            "SUMMARY:{}",
            text(&format!("{form}：{}", titles.join("、")))
        ));
        if !meeting.meeting.place.is_empty() {
            line(&format!("LOCATION:{}", text(&meeting.meeting.place)));
        }
        line(&format!("DESCRIPTION:{}", text(&description)));
        line(&format!("URL:{board}"));
        line("STATUS:CONFIRMED");
        line("TRANSP:TRANSPARENT");
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    ics
}

/// `YYYYMMDD`.
fn compact(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year, date.month, date.day)
}

/// A UTC date-time, `YYYYMMDDTHHMMSSZ`: RFC 3339's, without separators.
fn utc(ms: i64) -> String {
    super::rfc3339(ms).replace(['-', ':'], "")
}

/// A TEXT value escaped (RFC 5545 3.3.11): backslash, semicolon, comma
/// and newline; other control characters, which no value may hold, become
/// spaces.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded at 75 octets (RFC 5545 3.1) without
/// splitting a UTF-8 character, each line ended by CRLF.
fn fold(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            // The continuation's leading space counts.
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "协商🏮".repeat(30));
        fold(&mut out, &line);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{physical:?}");
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(text("a,b;c\\d\ne\u{7}"), "a\\,b\\;c\\\\d\\ne ");
    }

    #[test]
    fn times_are_utc() {
        // 2026-12-05 00:30 in Shanghai is 16:30 the day before in UTC.
        let ms = 1_796_401_800_000;
        assert_eq!(utc(ms), "20261204T163000Z");
    }
}
