//! The office console, tested in a real headless browser against real
//! nodes: signing in and the locks that keep people out (`security`),
//! gate-keeping and meetings at a community (`community`), the canteen case
//! from intake to evaluation (`canteen`), escalated matters at the street
//! and district (`matters`), a city's charters and directory (`city`), the
//! street's charters and cross-community
//! consultations (`street`), and residents' concerns from the board
//! (`intake`). This file holds what they share.

mod canteen;
mod city;
mod community;
mod intake;
mod joint;
mod matters;
mod security;
mod street;

use ureq::Agent;
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node, run};

/// A browser-less client that does not follow redirects and does not turn
/// 4xx into errors: it sees what the node answers.
fn client() -> Agent {
    Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into()
}

/// An answer: status, the `set-cookie` and `location` headers, the body.
struct Answer {
    status: u16,
    cookie: String,
    location: String,
    body: String,
}

fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (cookie, location) = (header("set-cookie"), header("location"));
    Answer {
        status: response.status().as_u16(),
        cookie,
        location,
        body: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

/// Posts a form to `path`, with the session cookie if given.
fn post(node: &Node, path: &str, session: &str, form: &[(&str, &str)]) -> Answer {
    let mut request = client().post(format!("{}{path}", node.url));
    if !session.is_empty() {
        request = request.header("cookie", format!("yiyi_session={session}"));
    }
    answer(request.send_form(form.iter().copied()).unwrap())
}

fn get(node: &Node, path: &str, session: &str) -> Answer {
    let mut request = client().get(format!("{}{path}", node.url));
    if !session.is_empty() {
        request = request.header("cookie", format!("yiyi_session={session}"));
    }
    answer(request.call().unwrap())
}

/// The session id a sign-in set.
fn session_of(answer: &Answer) -> String {
    answer
        .cookie
        .strip_prefix("yiyi_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie: {:?}", answer.cookie))
        .to_owned()
}

/// `yiyi-node staff add`: the one-time password.
pub(crate) fn add_staff(node: &Node, name: &str, role: &str) -> String {
    let out = run(
        "yiyi-node",
        &format!(
            "staff add --data {} --name {name} --role {role}",
            node.data.display()
        ),
    );
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The CSRF token in a page's forms.
fn csrf_in(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no CSRF token in {page}"))
        .to_owned()
}

/// Signs `name` in at `node` in `browser` with the one-time password
/// `given`, choosing `own`.
pub(crate) fn sign_in(browser: &Browser, node: &Node, name: &str, given: &str, own: &str) {
    browser.open(&format!("{}/office/login", node.url));
    browser.wait_for(
        "the sign-in form",
        "return document.getElementById('sign-in') !== null",
    );
    browser.run(&format!(
        "document.getElementById('name').value = '{name}';
         document.getElementById('password').value = '{given}';
         document.getElementById('sign-in').click();"
    ));
    browser.wait_for(
        "the password form",
        "return document.getElementById('again') !== null",
    );
    browser.run(&format!(
        "document.getElementById('old').value = '{given}';
         document.getElementById('new').value = '{own}';
         document.getElementById('again').value = '{own}';
         document.getElementById('save').click();"
    ));
    browser.wait_for("Today", "return document.getElementById('gate') !== null");
}

/// Asks for the notice's preview with button `preview`, then signs it with
/// button `sign` (which appears only with the preview); the preview's text.
fn preview_then_sign(browser: &Browser, preview: &str, sign: &str) -> String {
    browser.run(&format!("document.getElementById('{preview}').click()"));
    let text = browser.wait_for(
        "the notice's preview",
        &format!(
            "return document.getElementById('preview') && document.getElementById('{sign}') && document.getElementById('preview').parentElement.textContent"
        ),
    );
    browser.run(&format!("document.getElementById('{sign}').click()"));
    text.as_str().unwrap_or_default().to_owned()
}

/// From Today's setup link: adds `participants` (id, kind, name) to the
/// list and the catalogue sub-item `item` under `category` (whose Chinese
/// label is `label`), by typing into the setup page's forms.
fn set_up_lists(
    browser: &Browser,
    participants: &[(&str, &str, &str)],
    (category, label, item): (&str, &str, &str),
) {
    browser.run("document.getElementById('setup-link').click()");
    for (id, kind, name) in participants {
        browser.wait_for(
            "the setup page",
            "return document.getElementById('add-participant') !== null",
        );
        browser.run(&format!(
            "document.getElementById('participant-id').value = '{id}';
             document.getElementById('participant-kind').value = '{kind}';
             document.getElementById('participant-name').value = '{name}';
             document.getElementById('add-participant').click();"
        ));
        browser.wait_for(
            "the participant listed",
            &format!("return document.getElementById('participants') && document.getElementById('participants').textContent.includes('{name}')"),
        );
    }
    browser.run(&format!(
        "document.getElementById('catalogue-category').value = '{category}';
         document.getElementById('catalogue-item').value = '{item}';
         document.getElementById('add-item').click();"
    ));
    browser.wait_for(
        "the sub-item listed",
        &format!("return document.getElementById('catalogue') && document.getElementById('catalogue').textContent.includes('{label} · {item}')"),
    );
}
