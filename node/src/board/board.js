// The notice board (公示栏): lists the notices the node holds, with filters,
// and verifies each one in the browser (verify.js). Chinese by default,
// English by a toggle; no external assets.
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
  };
  let lang = localStorage.getItem("yiyi-lang") || "zh";
  let board = { notices: [] };
  let trust = "";
  const results = new Map();
  const $ = (id) => document.getElementById(id);
  const pick = (pair) => (lang === "zh" ? pair[0] : pair[1]);

  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    $("lang").textContent = lang === "zh" ? "English" : "中文";
    for (const el of document.querySelectorAll("[data-zh]")) el.textContent = el.dataset[lang];
    for (const el of document.querySelectorAll("[data-zh-placeholder]"))
      el.placeholder = el.dataset[lang + "Placeholder"];
    render();
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

  function filtered() {
    const q = $("q").value.trim(), office = $("office-filter").value, kind = $("kind-filter").value;
    const from = $("from").value, to = $("to").value;
    return board.notices.filter((n) =>
      (!q || n.title.includes(q) || n.body.includes(q)) &&
      (!office || n.log === office) && (!kind || String(n.kind) === kind) &&
      (!from || n.date >= from) && (!to || n.date <= to));
  }

  function badge(n) {
    const r = results.get(n.hash);
    const span = document.createElement("span");
    if (!r) {
      span.className = "badge pending";
      span.textContent = lang === "zh" ? "核验中…" : "verifying…";
    } else if (r.ok) {
      span.className = "badge verified";
      span.textContent = (lang === "zh" ? "✓ 已核验：" : "✓ Verified: ") + r.value.chain.join(" ← ");
    } else {
      span.className = "badge failed";
      const name = CHECK_NAMES[r.check] ? pick(CHECK_NAMES[r.check]) : r.check;
      span.textContent = (lang === "zh" ? "✗ 核验失败：" : "✗ NOT verified: ") + name + " — " + r.reason;
    }
    span.dataset.state = !r ? "pending" : r.ok ? "verified" : "failed";
    return span;
  }

  // Every notice of the same topic of the same office, oldest first: the
  // topic's course from result through progress to completion.
  function timeline(n) {
    if (!n.topic) return null;
    const course = board.notices
      .filter((m) => m.log === n.log && m.topic === n.topic)
      .sort((a, b) => a.time_ms - b.time_ms);
    if (course.length < 2) return null;
    const details = document.createElement("details");
    details.className = "timeline";
    const summary = document.createElement("summary");
    summary.textContent = (lang === "zh" ? "时间线" : "Timeline") + `（${course.length}）`;
    const list = document.createElement("ol");
    for (const m of course) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = "#" + m.hash;
      link.textContent = `${m.date} · ${KINDS[m.kind] ? pick(KINDS[m.kind]) : m.kind} · ${m.title}`;
      if (m.hash === n.hash) item.className = "here";
      item.append(link);
      list.append(item);
    }
    details.append(summary, list);
    return details;
  }

  function render() {
    const list = filtered();
    $("count").textContent = lang === "zh" ? `共 ${list.length} 条公示` : `${list.length} notices`;
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
      meta.textContent = `${n.office} · ${n.date} · ${KINDS[n.kind] ? pick(KINDS[n.kind]) : n.kind}` +
        (n.topic ? ` · ${n.topic}` : "") + ` · #${n.sequence}`;
      const body = document.createElement("div");
      body.className = "body";
      body.textContent = n.body;
      a.append(h, meta, badge(n), body);
      const line = timeline(n);
      if (line) a.append(line);
      main.append(a);
    }
  }

  async function verifyAll() {
    for (const n of board.notices) {
      try {
        const response = await fetch(`/api/v1/notices/${n.hash}/bundle`);
        if (!response.ok) throw new YiyiVerify.Failure("format", await response.text());
        const value = await YiyiVerify.verify(await response.text(), trust);
        // What is shown must be what was verified.
        if (value.hash !== n.hash || value.notice.title !== n.title || value.notice.body !== n.body)
          throw new YiyiVerify.Failure("signature", lang === "zh" ? "页面显示的内容与签名内容不一致" : "the text shown is not the text signed");
        results.set(n.hash, { ok: true, value });
      } catch (e) {
        results.set(n.hash, { ok: false, check: e.check || "format", reason: e.message });
      }
      const el = document.getElementById("n-" + n.hash);
      if (el) el.querySelector(".badge").replaceWith(badge(n));
    }
    document.body.dataset.verified = "done";
  }

  async function load() {
    if (!window.isSecureContext || !crypto.subtle) $("insecure").hidden = false;
    board = await (await fetch("/api/v1/board")).json();
    $("office").textContent = board.office.name;
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("trust");
    trust = localStorage.getItem("yiyi-trust") || fromHash || board.district.key;
    await showTrust();
    // Opened from a printed notice: its QR code names the key ID printed.
    const printed = new URLSearchParams(location.search).get("key");
    if (printed && printed !== $("trust-id").textContent) $("key-mismatch").hidden = false;
    const offices = new Map(board.notices.map((n) => [n.log, n.office]));
    for (const [log, name] of offices) $("office-filter").append(new Option(name, log));
    for (const k of new Set(board.notices.map((n) => n.kind)))
      $("kind-filter").append(new Option(KINDS[k] ? pick(KINDS[k]) : k, k));
    $("feed").href = `/feeds/${board.office.log}.atom`;
    applyLang();
    await verifyAll();
    const target = location.hash && document.getElementById("n-" + location.hash.slice(1));
    if (target) target.scrollIntoView();
  }

  // Opened (or re-pointed) at one notice, as a printed notice's QR code does.
  window.addEventListener("hashchange", () => {
    render();
    const target = document.getElementById("n-" + location.hash.slice(1));
    if (target) target.scrollIntoView();
  });
  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("yiyi-lang", lang);
    applyLang();
  });
  $("filters").addEventListener("input", render);
  $("trust-set").addEventListener("click", async () => {
    trust = $("trust-input").value.trim();
    localStorage.setItem("yiyi-trust", trust);
    results.clear();
    await showTrust();
    render();
    await verifyAll();
  });
  load().catch((e) => { $("count").textContent = String(e); });
})();
