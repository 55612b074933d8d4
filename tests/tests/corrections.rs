//! Corrections (更正) at the console and on the board: the secretary
//! corrects a published notice by a new one (a reason is needed; the same
//! notice is corrected once); the board shows both, each verified, the
//! original tagged 已更正 and linked to its correction, the correction
//! naming what it corrects; what happened to the topic does not change.

use yiyi_tests::Json;
use yiyi_tests::federation::{Chain, chain, wait_for};
use yiyi_tests::webdriver::Browser;

use crate::console::{add_staff, sign_in};

#[test]
fn a_notice_corrected_at_the_console_shows_its_history_on_the_board_and_verifies() {
    let Chain {
        district: _district,
        street,
        community,
    } = chain();
    let original = community.decline("T-park", "小区停车难");
    let browser = Browser::start();
    let given = add_staff(&community, "王书记", "secretary");
    sign_in(&browser, &community, "王书记", &given, "社区书记自己的密码");
    browser.run("document.getElementById('notices-link').click()");
    browser.wait_for(
        "the notices",
        "return document.querySelector('details.correct') !== null",
    );
    // Without a reason: refused, nothing written.
    let size = community.own_size();
    browser.run(&format!(
        "const a = document.querySelector('article[data-notice=\"{original}\"]');
         a.querySelector('details').open = true;
         a.querySelector('.corrected-body').value = '依据《济南市停车场管理办法》第十二条，道路停车位由交警部门划定，不予协商。';
         a.querySelector('button.correct').click();"
    ));
    let error = browser.wait_for(
        "the refusal",
        "const e = document.getElementById('error'); return e && e.textContent",
    );
    assert!(error.as_str().unwrap().contains("理由"), "{error}");
    assert_eq!(community.own_size(), size);
    browser.run(&format!(
        "const a = document.querySelector('article[data-notice=\"{original}\"]');
         a.querySelector('details').open = true;
         a.querySelector('.corrected-body').value = '依据《济南市停车场管理办法》第十二条，道路停车位由交警部门划定，不予协商。';
         a.querySelector('.reason').value = '原公示引用的条款有误 🙏';
         a.querySelector('button.correct').click();"
    ));
    browser.wait_for(
        "the correction listed",
        "return Array.from(document.querySelectorAll('article.notice h3')).some(h => h.textContent.includes('更正：'))",
    );
    let correction = community
        .get("/api/v1/notices")
        .list_at("/notices")
        .iter()
        .find(|n| n.str_at("/title").starts_with("更正："))
        .unwrap()
        .str_at("/hash")
        .to_owned();
    // Once only; the topic is still declined.
    let refused = community.refused(&format!(
        "notice correct {original} --body 再改一次 --reason 又错了"
    ));
    assert!(refused.contains("correction of notice"), "{refused}");
    assert_eq!(
        community.get("/api/v1/topics/T-park").str_at("/status"),
        "declined"
    );

    // On the board (once the street has cosigned it): both, each verified,
    // the history both ways.
    wait_for("the street to hold the correction", || {
        yiyi_tests::federation::holds(&street, &correction)
    });
    std::thread::sleep(std::time::Duration::from_secs(2));
    browser.open(&format!("{}/", community.url));
    browser.wait_for(
        "every notice checked",
        "return document.body.dataset.verified === 'done'",
    );
    let shown = browser.run(&format!(
        "const o = document.getElementById('n-{original}');
         const c = document.getElementById('n-{correction}');
         return {{
           states: Array.from(document.querySelectorAll('.badge')).map(b => b.dataset.state),
           tag: o.querySelector('.tag.corrected').textContent,
           to: o.querySelector('.corrections a').getAttribute('href'),
           back: c.querySelector('.corrections a').getAttribute('href'),
           says: c.querySelector('.corrections').textContent,
           body: c.querySelector('.body').textContent,
         }}"
    ));
    assert!(
        shown.list_at("/states").iter().all(|s| s == "verified"),
        "{shown}"
    );
    assert_eq!(shown.str_at("/tag"), "已更正");
    assert_eq!(shown.str_at("/to"), format!("#{correction}"));
    assert_eq!(shown.str_at("/back"), format!("#{original}"));
    assert!(shown.str_at("/says").contains("本公示更正了"), "{shown}");
    assert!(
        shown
            .str_at("/body")
            .ends_with("更正说明：原公示引用的条款有误 🙏"),
        "{shown}"
    );
    // Following the link brings the correction to the fore.
    browser.run(&format!(
        "document.querySelector('#n-{original} .corrections a').click()"
    ));
    browser.wait_for(
        "the correction as the target",
        &format!("const c = document.getElementById('n-{correction}'); return c && c.classList.contains('target')"),
    );
}
