// The notice board (公示栏): lists the notices the node holds a page at a
// time, filtered and searched by the node, and verifies the notices on
// screen in the browser (verify.js). Chinese by default, English by a
// toggle; no external assets.
"use strict";

(() => {
  const KINDS = {
    1: ["协商结果", "Result"], 2: ["不予协商说明", "Declined"], 3: ["搁置说明", "Shelved"],
    4: ["办理进展", "Progress"], 5: ["办结", "Completed"], 6: ["建议事项办理结果", "Resolution"],
    7: ["建议事项退回", "Returned"], 8: ["其他", "Other"], 9: ["跨社区协商", "Cross-community"],
  };
  const CHECK_NAMES = {
    format: ["核验包格式", "bundle format"], signature: ["公示签名", "signature"],
    "charter-chain": ["章程链", "charter chain"], checkpoint: ["台账检查点", "checkpoint"],
    inclusion: ["台账包含证明", "inclusion proof"], cosignature: ["上级见证", "parent's witness"],
    consistency: ["与此前所见台账一致（未分叉）", "consistent with the ledger seen before (no fork)"],
    policy: ["核验策略（指定见证人）", "witness policy"],
  };
  const CATEGORIES = {
    "daily-life": ["日常生活及矛盾类", "Daily life and disputes"],
    "public-affairs": ["公共事务类", "Public affairs"], policy: ["政策部署执行类", "Carrying out policy"],
  };
  const CLASSES = {
    immediate: ["即办件", "Immediate"], shelved: ["搁置件", "Shelved"],
    promised: ["承诺件", "Promised"], suggestion: ["建议件", "Suggestion"],
  };
  const STATUSES = {
    proposed: ["待把关", "Awaiting gate-keeping"], declined: ["不予协商", "Declined"],
    referred: ["调解中", "In mediation"], settled: ["调解成功", "Settled by mediation"],
    unsettled: ["调解未成", "Mediation did not settle it"], accepted: ["待协商", "Awaiting consultation"],
    scheduled: ["协商中", "On a meeting's agenda"], classified: ["办理中", "Being carried out"],
    escalated: ["已上报", "Escalated"], done: ["已办结", "Done"], evaluated: ["已评议", "Evaluated"],
    reopened: ["已重新协商", "Reopened"],
  };
  // The steps of a topic's course, and of an escalated matter's path.
  const EVENTS = {
    proposed: ["提出议题", "Topic raised"], accepted: ["把关通过", "Accepted for consultation"],
    assigned: ["上级交办，列入议题", "Assigned from above and taken up"],
    member: ["联席会议成员单位提出", "Proposed by a standing member of the joint meeting"],
    oversight: ["全过程监督", "Oversight"], designation: ["指定专人", "Person designated"],
    declined: ["不予协商", "Declined"], referred: ["转交调解", "Referred to mediation"],
    settled: ["调解成功", "Settled by mediation"], unsettled: ["调解未成", "Mediation ended unsettled"],
    meeting: ["安排协商会议", "Meeting scheduled"], result: ["形成协商结果", "Result formed"],
    outcome: ["分流分类", "Classified"], progress: ["办理进展", "Progress"],
    completed: ["办结", "Completed"], supervision: ["监督", "Supervision"],
    "follow-up": ["回访", "Follow-up visit"], evaluation: ["居民评议（满意/基本满意/不满意）", "Residents' evaluation (satisfied/fairly/dissatisfied)"],
    escalated: ["上报", "Escalated"], notice: ["公示", "Notice"],
    "matter-receipt": ["签收", "Receipt signed"], "matter-accept": ["决定自行办理", "Accepted to handle"],
    "matter-return": ["退回", "Returned"], "matter-forward": ["决定转报上级", "Decided to forward"],
    "matter-escalation": ["转报", "Forwarded up"], "matter-dispatch": ["交办部门", "Dispatched to departments"],
    "matter-resolution": ["办理结果", "Resolved"],
    "matter-intake": ["12345平台直接受理", "Taken in at the 12345 desk"],
    "matter-coordination": ["协调小组联席研究", "Coordination group met"],
    "matter-redispatch": ["退单改派", "Result returned, dispatched again"],
  };
  let board = { notices: [], topics: {}, choices: {}, total: 0, page: 1, pages: 1 };
  let page = 1;
  let trust = "";
  // The resident's witness policy (parsed), if she set one.
  let policy = null;
  const results = new Map();
  const $ = (id) => document.getElementById(id);
  const pick = (pair) => (YiyiPage.lang() === "zh" ? pair[0] : pair[1]);

  // The filters offer what the node holds (over every notice, not only
  // this page's), in the page's language.
  function fillFilters() {
    const choices = board.choices || {};
    const fill = (id, values, name) => {
      const select = $(id), chosen = select.value;
      select.replaceChildren(select.options[0]);
      for (const [v, count] of values) select.append(new Option(`${name(v)}（${count}）`, v));
      select.value = chosen;
    };
    fill("office-filter", (choices.offices || []).map((o) => [o.log, o.count]), (log) =>
      (choices.offices.find((o) => o.log === log) || {}).name || log);
    fill("kind-filter", Object.entries(choices.kinds || {}), (k) => label(KINDS, k));
    fill("category-filter", Object.entries(choices.categories || {}), (c) => label(CATEGORIES, c));
    fill("class-filter", Object.entries(choices.classes || {}), (c) => label(CLASSES, c));
    fill("status-filter", Object.entries(choices.statuses || {}), (s) => label(STATUSES, s));
  }

  // What the resident asked of the list, as the node's query.
  function query(extra) {
    const params = new URLSearchParams();
    for (const [name, id] of [["q", "q"], ["office", "office-filter"], ["kind", "kind-filter"],
      ["category", "category-filter"], ["class", "class-filter"], ["status", "status-filter"],
      ["from", "from"], ["to", "to"]]) {
      const value = $(id).value.trim();
      if (value) params.set(name, value);
    }
    params.set("page", String(page));
    // A link may ask for the page as it stood, or will stand, on a day
    // (?on=YYYY-MM-DD): the overdue tags are judged on it.
    const asked = new URLSearchParams(location.search);
    for (const name of ["per", "on"]) if (asked.get(name)) params.set(name, asked.get(name));
    for (const [name, value] of Object.entries(extra || {})) params.set(name, value);
    return "/api/v1/board?" + params;
  }

  // One page from the node; then what is on screen is verified first.
  async function fetchPage(extra) {
    const response = await fetchPolitely(query(extra));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    board = await response.json();
    page = board.page;
    return board;
  }

  // What the page drew itself, drawn again in the language chosen.
  function redraw() {
    fillFilters();
    render();
    policyState();
  }
  function applyLang() {
    YiyiPage.apply(redraw);
  }

  // Takes `text` as the witness policy ("" for none); a policy that does
  // not parse is named and not used.
  async function usePolicy(text) {
    $("policy-error").hidden = true;
    $("policy-input").value = text;
    if (!text.trim()) {
      policy = null;
      localStorage.removeItem("yiyi-policy");
      policyState();
      return true;
    }
    try {
      policy = await YiyiVerify.parsePolicy(text);
    } catch (e) {
      $("policy-error").textContent = String(e.message || e);
      $("policy-error").hidden = false;
      return false;
    }
    localStorage.setItem("yiyi-policy", text);
    policyState();
    return true;
  }

  // What the policy asks, in the language shown.
  function policyState() {
    const zh = YiyiPage.lang() === "zh";
    if (!policy) {
      $("policy-state").textContent = zh ? "未设置" : "none";
      return;
    }
    const names = policy.witnesses.map((w) => w.name).join(", ");
    $("policy-state").textContent = zh ? `法定人数 ${policy.quorum}（${names}）` : `quorum ${policy.quorum} (${names})`;
  }

  async function showTrust() {
    $("trust-key").textContent = trust;
    try {
      const k = await YiyiVerify.parseKey(trust);
      $("trust-id").textContent = k.id;
    } catch (e) {
      $("trust-id").textContent = "?";
    }
  }

  const topicOf = (n) => (n.topic && board.topics[`${n.log}/${n.topic}`]) || null;
  const label = (table, key) => (table[key] ? pick(table[key]) : key);

  // Without a secure context the browser has no WebCrypto: each notice
  // says how to check it on the command line instead.
  const secure = window.isSecureContext && !!(window.crypto && crypto.subtle);

  function badge(n) {
    const r = results.get(n.hash);
    const span = document.createElement("span");
    if (!secure) {
      span.className = "badge cli";
      const command = document.createElement("code");
      command.textContent = `yiyi --node ${location.origin} verify ${n.hash} --trust ${trust}`;
      span.append(YiyiPage.lang() === "zh" ? "在命令行核验：" : "Check it on the command line: ", command);
      span.dataset.state = "cli";
      return span;
    }
    if (!r) {
      span.className = "badge pending";
      span.textContent = YiyiPage.lang() === "zh" ? "核验中…" : "verifying…";
    } else if (r.ok) {
      span.className = "badge verified";
      span.textContent = (YiyiPage.lang() === "zh" ? "✓ 已核验：" : "✓ Verified: ") + r.value.chain.join(" ← ") +
        (r.value.witnesses ? (YiyiPage.lang() === "zh" ? "；见证人：" : "; witnesses: ") + r.value.witnesses.join(", ") : "");
    } else {
      span.className = "badge failed";
      const name = CHECK_NAMES[r.check] ? pick(CHECK_NAMES[r.check]) : r.check;
      span.textContent = (YiyiPage.lang() === "zh" ? "✗ 核验失败：" : "✗ NOT verified: ") + name + " — " + r.reason;
    }
    span.dataset.state = !r ? "pending" : r.ok ? "verified" : "failed";
    return span;
  }

  // The topic's course, oldest first: raised, gate-kept, met on,
  // classified, carried out or escalated (with every signed step of the
  // matter's path above), resolved, evaluated. Each step names its entry.
  function timeline(n) {
    const t = topicOf(n);
    if (!t || !t.events.length) return null;
    const details = document.createElement("details");
    details.className = "timeline";
    if (location.hash === "#" + n.hash) details.open = true;
    const summary = document.createElement("summary");
    summary.textContent = (YiyiPage.lang() === "zh" ? "议题进程" : "Course of the topic") + `（${t.events.length}）`;
    const list = document.createElement("ol");
    for (const e of t.events) {
      const item = document.createElement("li");
      item.dataset.what = e.what;
      const what = e.what === "notice" ? `${pick(EVENTS.notice)}：${label(KINDS, e.kind)}` : label(EVENTS, e.what);
      const detail = e.what === "outcome" ? e.detail.replace(/^[a-z]+/, (c) => label(CLASSES, c)) : e.detail;
      const text = `${e.date} · ${e.office} · ${what}` + (detail ? ` · ${detail}` : "");
      if (e.what === "notice") {
        const link = document.createElement("a");
        link.href = "#" + e.hash;
        link.textContent = text;
        item.append(link);
      } else {
        item.textContent = text;
      }
      item.title = (YiyiPage.lang() === "zh" ? "台账条目 " : "ledger entry ") + e.hash;
      if (e.hash === n.hash) item.className = "here";
      list.append(item);
    }
    details.append(summary, list);
    return details;
  }

  // A correction's history (更正): what this notice corrects, and the
  // notice that corrects it; never silently replaced, both stay listed.
  function corrections(n) {
    if (!n.supersedes && !n.corrected_by) return null;
    const box = document.createElement("p");
    box.className = "corrections";
    const link = (c, zh, en) => {
      const a = document.createElement("a");
      a.href = "#" + c.hash;
      a.textContent = YiyiPage.t(`${zh}${c.date || ""}${c.title ? `《${c.title}》` : ""}`, `${en}${c.date || ""}${c.title ? ` “${c.title}”` : ""}`);
      return a;
    };
    if (n.corrected_by) {
      const tag = document.createElement("span");
      tag.className = "tag corrected";
      tag.textContent = YiyiPage.t("已更正", "Corrected");
      box.append(tag, " ", link(n.corrected_by, "更正公示：", "Correction: "), " ");
    }
    if (n.supersedes) box.append(link(n.supersedes, "本公示更正了 ", "This corrects "));
    return box;
  }

  function render() {
    const list = board.notices;
    $("count").textContent = YiyiPage.lang() === "zh"
      ? `共 ${board.total} 条公示` + (board.pages > 1 ? `，第 ${board.page}/${board.pages} 页` : "")
      : `${board.total} notices` + (board.pages > 1 ? `, page ${board.page} of ${board.pages}` : "");
    $("pager").hidden = board.pages <= 1;
    $("page-of").textContent = `${board.page} / ${board.pages}`;
    $("prev").disabled = board.page <= 1;
    $("next").disabled = board.page >= board.pages;
    const main = $("notices");
    main.replaceChildren();
    for (const n of list) {
      const a = document.createElement("article");
      a.id = "n-" + n.hash;
      a.dataset.hash = n.hash;
      if (location.hash === "#" + n.hash) a.classList.add("target");
      const h = document.createElement("h2");
      h.textContent = n.title;
      const meta = document.createElement("div");
      meta.className = "meta";
      const t = topicOf(n);
      meta.textContent = `${n.office} · ${n.date} · ${label(KINDS, n.kind)}` +
        (n.topic ? ` · ${n.topic}` : "") + ` · #${n.sequence}`;
      const tags = document.createElement("div");
      tags.className = "tags";
      if (t) {
        for (const [cls, text] of [["category", label(CATEGORIES, t.category)],
          ["class", t.class && label(CLASSES, t.class)], ["status", label(STATUSES, t.status)],
          ["overdue", t.overdue && (YiyiPage.lang() === "zh" ? `已逾期：${t.overdue.zh}` : `Overdue: ${t.overdue.en}`)],
          ["residents", t.residents > 0 && (YiyiPage.lang() === "zh" ? `${t.residents} 位居民反映` : `Raised by ${t.residents} residents`)]]) {
          if (!text) continue;
          const tag = document.createElement("span");
          tag.className = "tag " + cls;
          tag.textContent = text;
          tags.append(tag);
        }
      }
      const body = document.createElement("div");
      body.className = "body";
      body.textContent = n.body;
      a.append(h, meta, tags, badge(n), body);
      const history = corrections(n);
      if (history) a.append(history);
      const line = timeline(n);
      if (line) a.append(line);
      main.append(a);
    }
    renderNewer();
    renderContact();
  }

  // Where and when residents find the office, as its profile says.
  function renderContact() {
    const o = board.office || {};
    const parts = [
      [o.address, "地址", "Address"], [o.phone, "电话", "Phone"],
      [o.meeting_place, "议事地点", "Consultations at"], [o.meeting_rhythm, "议事时间", "When"],
    ].filter(([value]) => value).map(([value, zh, en]) => `${YiyiPage.lang() === "zh" ? zh : en}：${value}`);
    $("office-contact").textContent = parts.join(" · ");
    $("office-contact").hidden = parts.length === 0;
  }

  // Records of a later version: listed by office, date and hash, with the
  // release that reads them; their content is not shown, since this node
  // cannot read it.
  function renderNewer() {
    const records = board.newer || [];
    $("newer").hidden = records.length === 0;
    const list = $("newer-list");
    list.replaceChildren();
    for (const r of records) {
      const item = document.createElement("li");
      item.dataset.hash = r.hash;
      const reader = r.reader_version
        ? (YiyiPage.lang() === "zh" ? `需 ${r.reader_version} 或更高版本读取` : `read by ${r.reader_version} or later`)
        : (YiyiPage.lang() === "zh" ? "需较新版本读取" : "read by a later version");
      const meta = document.createElement("span");
      meta.textContent = `${r.office} · ${r.date} · #${r.sequence} · ${reader} · `;
      const hash = document.createElement("code");
      hash.textContent = r.hash;
      item.append(meta, hash);
      list.append(item);
    }
  }

  // The largest checkpoint this browser has verified of each ledger, as
  // {size, root}: a later visit checks the ledger only grew from it, so a
  // node cannot show one history today and another tomorrow unnoticed.
  const SEEN = "yiyi-checkpoints";
  const seenAll = () => { try { return JSON.parse(localStorage.getItem(SEEN)) || {}; } catch (e) { return {}; } };
  const fromHex = (h) => Uint8Array.from(h.match(/../g) || [], (b) => parseInt(b, 16));

  async function checkConsistency(value) {
    const seen = seenAll()[value.log];
    const now = { size: value.size, root: value.root };
    if (seen) {
      const old = { size: seen.size, root: fromHex(seen.root) };
      const [small, large] = old.size <= now.size ? [old, now] : [now, old];
      let proof = [];
      if (small.size !== large.size) {
        const response = await fetchPolitely(`/api/v1/proofs/consistency?log=${value.log}&old_size=${small.size}&size=${large.size}`)
          .catch(() => null);
        // A node that does not hold the larger tree cannot prove it: the
        // check waits for a node that does, as `yiyi verify` does offline.
        if (!response || !response.ok) return;
        proof = ((await response.json()).proof || []).map(fromHex);
      }
      await YiyiVerify.consistent(small, large, proof);
      if (old.size >= now.size) return;
    }
    const all = seenAll();
    all[value.log] = { size: now.size, root: YiyiVerify.hex(now.root) };
    localStorage.setItem(SEEN, JSON.stringify(all));
  }

  // The node limits each address's requests (HTTP 429, 503 when busy):
  // wait as it says and ask again, a few times.
  async function fetchPolitely(url) {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(url);
      if ((response.status !== 429 && response.status !== 503) || attempt === 5) return response;
      const wait = Number(response.headers.get("retry-after")) || 1;
      await new Promise((done) => setTimeout(done, wait * 1000));
    }
  }

  // The bundles of `notices` (hash → text, or {error}), asked for at once.
  async function bundles(notices) {
    const found = new Map();
    let asked = notices.map((n) => n.hash);
    try {
      // A notice committed a moment ago is "pending" until the parent office
      // has cosigned its checkpoint: ask again for those, a second apart.
      for (let attempt = 0; asked.length > 0 && attempt < 10; attempt++) {
        if (attempt > 0) await new Promise((done) => setTimeout(done, 1000));
        const response = await fetchPolitely("/api/v1/notices/bundles?hashes=" + asked.join(","));
        const answer = response.ok ? await response.json() : { bundles: {}, errors: {} };
        for (const [hash, text] of Object.entries(answer.bundles || {})) found.set(hash, text);
        for (const [hash, error] of Object.entries(answer.errors || {})) found.set(hash, { error });
        for (const [hash, error] of Object.entries(answer.pending || {})) found.set(hash, { error });
        asked = Object.keys(answer.pending || {});
      }
    } catch (e) {
      for (const n of notices) found.set(n.hash, { error: String(e) });
    }
    return found;
  }

  // Verifies the notices on screen (those not verified already), in the
  // order shown; a page shown meanwhile stops this one.
  let shown = 0;
  async function verifyAll() {
    const mine = ++shown;
    document.body.dataset.verified = "pending";
    if (!secure) {
      document.body.dataset.verified = "done";
      return;
    }
    // The bundles come a batch at a time, in the order shown (newest
    // first): a page of a thousand notices is a few requests, not a thousand.
    const BATCH = 48;
    const todo = board.notices.filter((n) => !results.has(n.hash));
    let batch = new Map();
    for (const [i, n] of todo.entries()) {
      if (mine !== shown) return;
      if (i % BATCH === 0) batch = await bundles(todo.slice(i, i + BATCH));
      try {
        const text = batch.get(n.hash);
        if (typeof text !== "string") throw new YiyiVerify.Failure("format", text ? text.error : "no bundle for this notice");
        const value = await YiyiVerify.verify(text, trust);
        // What is shown must be what was verified.
        if (value.hash !== n.hash || value.notice.title !== n.title || value.notice.body !== n.body)
          throw new YiyiVerify.Failure("signature", YiyiPage.lang() === "zh" ? "页面显示的内容与签名内容不一致" : "the text shown is not the text signed");
        await checkConsistency(value);
        if (policy) value.witnesses = await YiyiVerify.meetsPolicy(value, policy);
        results.set(n.hash, { ok: true, value });
      } catch (e) {
        results.set(n.hash, { ok: false, check: e.check || "format", reason: e.message });
      }
      const el = document.getElementById("n-" + n.hash);
      if (el) el.querySelector(".badge").replaceWith(badge(n));
    }
    if (mine === shown) document.body.dataset.verified = "done";
  }

  // Shows the page asked for and verifies it.
  async function show(extra) {
    await fetchPage(extra);
    fillFilters();
    render();
    await verifyAll();
  }

  // Opened at one notice (a printed notice's QR code, a link): if it is not
  // on this page, the node is asked for it alone — and a notice of a ledger
  // the node does not keep it fetches first (its bundle request does that).
  async function showTarget() {
    const hash = location.hash.slice(1);
    if (!/^[0-9a-f]{64}$/.test(hash) || document.getElementById("n-" + hash)) return;
    await fetchPage({ hash });
    if (board.total === 0) {
      await fetchPolitely(`/api/v1/notices/${hash}/bundle`).catch(() => null);
      await fetchPage({ hash });
    }
    fillFilters();
    render();
    await verifyAll();
  }

  // The office's rounds: open ones to take part in, tallied ones to check
  // a receipt against (their pages verify in the browser too).
  async function listRounds() {
    const rounds = await fetchPolitely("/api/v1/rounds").then((r) => r.json()).catch(() => []);
    const items = rounds.filter((r) => r.status !== "closed").slice(0, 10).map((r) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = `/r/${encodeURIComponent(r.id)}`;
      a.textContent = `${r.topic_title}：${r.question}`;
      const state = document.createElement("span");
      state.className = "tag status";
      state.dataset.zh = r.status === "open" ? "征询中" : "已计票，可核验回执";
      state.dataset.en = r.status === "open" ? "open" : "tallied: check your receipt";
      state.textContent = YiyiPage.lang() === "zh" ? state.dataset.zh : state.dataset.en;
      li.append(state, " ", a);
      return li;
    });
    $("round-list").replaceChildren(...items);
    $("rounds").hidden = items.length === 0;
  }

  async function load() {
    if (!secure) {
      $("insecure").hidden = false;
      // Nothing is checked here then: the footer must not say it is.
      $("checked-here").hidden = true;
    }
    await fetchPage();
    $("office").textContent = board.office.name;
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("trust");
    trust = localStorage.getItem("yiyi-trust") || fromHash || board.district.key;
    await showTrust();
    await usePolicy(localStorage.getItem("yiyi-policy") || "");
    // Opened from a printed notice: its QR code names the key ID printed.
    const printed = new URLSearchParams(location.search).get("key");
    if (printed && printed !== $("trust-id").textContent) $("key-mismatch").hidden = false;
    fillFilters();
    $("feed").href = `/feeds/${board.office.log}.atom`;
    // Opened, a phone offers to add the meetings; the address pasted into
    // a calendar app's "subscribe by URL" keeps them up to date.
    $("calendar").href = `/feeds/${board.office.log}.ics`;
    applyLang();
    await verifyAll();
    listRounds();
    await showTarget();
    const target = location.hash && document.getElementById("n-" + location.hash.slice(1));
    if (target) target.scrollIntoView();
  }

  // Opened (or re-pointed) at one notice, as a printed notice's QR code does.
  window.addEventListener("hashchange", async () => {
    render();
    await showTarget();
    const target = document.getElementById("n-" + location.hash.slice(1));
    if (target) target.scrollIntoView();
  });
  YiyiPage.toggle(redraw);
  // Typing waits for a pause; a choice is asked for at once. Either starts
  // again from the first page.
  let typing = null;
  $("filters").addEventListener("input", (e) => {
    // Not done until the new page is shown and checked.
    document.body.dataset.verified = "pending";
    clearTimeout(typing);
    typing = setTimeout(() => { page = 1; show(); }, e.target.id === "q" ? 300 : 0);
  });
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  const turn = (by) => {
    document.body.dataset.verified = "pending";
    page += by;
    show().then(() => window.scrollTo(0, 0));
  };
  $("prev").addEventListener("click", () => turn(-1));
  $("next").addEventListener("click", () => turn(1));
  $("trust-set").addEventListener("click", async () => {
    trust = $("trust-input").value.trim();
    localStorage.setItem("yiyi-trust", trust);
    results.clear();
    await showTrust();
    render();
    await verifyAll();
  });
  // A new policy (or none) checks every notice again.
  const repolicy = async (text) => {
    if (!(await usePolicy(text))) return;
    results.clear();
    render();
    await verifyAll();
  };
  $("policy-set").addEventListener("click", () => repolicy($("policy-input").value));
  $("policy-clear").addEventListener("click", () => repolicy(""));
  load().catch((e) => { $("count").textContent = String(e); });
})();
