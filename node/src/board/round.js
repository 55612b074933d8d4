// 居民征询: a resident gives her view in a round with the code from her
// card and keeps the receipt; once the round is tallied, the page checks
// the tally's signature, chain and cosignature as notices are checked,
// recounts the published ballots, and checks her receipt's ballot is under
// the tally's root with the choice she gave (verify.js). Everything typed
// goes into text nodes; the page talks only to its own node.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const t = YiyiPage.t;
  const id = decodeURIComponent(location.pathname.replace(/^\/r\//, ""));
  const saved = () => JSON.parse(localStorage.getItem("yiyi-receipt-" + id) || "null");
  const CHECK_ZH = {
    format: "格式", signature: "签名", "charter-chain": "章程链", checkpoint: "检查点",
    inclusion: "包含证明", cosignature: "上级副署", consistency: "一致性", receipt: "回执", recount: "复核计票",
  };
  let round = null;

  function applyLang() {
    YiyiPage.apply(() => round && show(round, false));
  }

  const when = (ms) => new Date(ms).toLocaleString(YiyiPage.lang() === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai", dateStyle: "medium", timeStyle: "short" });

  function show(r, fresh) {
    $("round").hidden = false;
    $("purpose").textContent = r.purpose === "evaluation" ? t("居民评议", "Residents' evaluation") : t("协商征询", "Consultation");
    $("topic-title").textContent = r.topic_title;
    $("question").textContent = r.question;
    const state = { open: t("征询中", "Open"), closed: t("已截止，待计票", "Closed, not tallied yet"), tallied: t("已计票", "Tallied") };
    $("state").textContent = state[r.status] || r.status;
    $("closes").textContent = t("截止：", "Closes: ") + when(r.closes_ms);
    $("issued").textContent = t(`发放参与码 ${r.codes_issued} 个`, `${r.codes_issued} codes issued`);
    $("vote").hidden = r.status !== "open";
    if (fresh) {
      $("options").replaceChildren($("options").firstElementChild, ...r.options.map((name, i) => {
        const label = document.createElement("label");
        const input = document.createElement("input");
        input.type = "radio";
        input.name = "choice";
        input.value = String(i);
        input.id = "choice-" + i;
        label.append(input, document.createTextNode(name));
        return label;
      }));
    }
    if (r.tally) showTally(r);
  }

  function showTally(r) {
    $("result").hidden = false;
    const rows = r.options.map((name, i) => {
      const tr = document.createElement("tr");
      const a = document.createElement("td");
      const b = document.createElement("td");
      a.textContent = name;
      b.textContent = String(r.tally.counts[i]);
      b.className = "n";
      tr.append(a, b);
      return tr;
    });
    $("counts").tBodies[0].replaceChildren(...rows);
    $("totals").textContent = t(
      `发放参与码 ${r.codes_issued} 个，收到 ${r.tally.ballots} 份，其中 ${r.tally.comments} 份附留言`,
      `${r.codes_issued} codes issued, ${r.tally.ballots} ballots, ${r.tally.comments} with a comment`,
    );
    $("early").hidden = !r.tally.early_reason;
    $("early").textContent = t("提前结束：", "Closed early: ") + r.tally.early_reason;
  }

  function clearErrors() {
    for (const el of document.querySelectorAll("#vote .bad")) { el.hidden = true; el.textContent = ""; }
  }

  async function vote(event) {
    event.preventDefault();
    clearErrors();
    const chosen = document.querySelector("#options input:checked");
    if (!chosen) return YiyiPage.refused({ zh: "请选择一个选项", message: "Choose an option", field: "choice" }, 0);
    $("send").disabled = true;
    try {
      const response = await fetch(`/api/v1/rounds/${encodeURIComponent(id)}/ballots`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code: $("code").value, choice: Number(chosen.value), comment: $("comment").value }),
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) return YiyiPage.refused(answer, response.status);
      localStorage.setItem("yiyi-receipt-" + id, JSON.stringify({ receipt: answer.receipt, choice: answer.choice }));
      $("given-choice").textContent = round.options[answer.choice];
      $("given-changed").hidden = !answer.changed;
      $("given-receipt").textContent = answer.receipt;
      $("given").hidden = false;
      $("receipt").value = answer.receipt;
      $("given").scrollIntoView();
    } catch (e) {
      YiyiPage.refused({ message: String(e) }, 0);
    } finally {
      $("send").disabled = false;
    }
  }

  const failed = (e) => {
    const check = e instanceof YiyiVerify.Failure ? e.check : "format";
    return t(`核验未通过（${CHECK_ZH[check] || check}）：`, `Check failed (${check}): `) + e.message;
  };

  // The tally entry, verified once: its bundle against the pinned key.
  let verified = null;
  async function verifiedTally() {
    if (verified) return verified;
    const trust = localStorage.getItem("yiyi-trust") ||
      (await fetch("/api/v1/board").then((r) => r.json())).district.key;
    const bundle = await fetch(`/api/v1/notices/${round.tally.entry.hash}/bundle`);
    if (!bundle.ok) throw new YiyiVerify.Failure("format", "no bundle for the tally (" + bundle.status + ")");
    const found = await YiyiVerify.verify(await bundle.text(), trust);
    if (!found.tally) throw new YiyiVerify.Failure("format", "the entry is not a tally");
    verified = { tally: found.tally, office: found.office };
    return verified;
  }

  async function checkTally() {
    const badge = $("tally-badge");
    const started = performance.now();
    try {
      const { tally, office } = await verifiedTally();
      const ballots = await fetch(`/api/v1/rounds/${encodeURIComponent(id)}/ballots`).then((r) => r.json());
      await YiyiVerify.recount(tally, id, ballots.ballots);
      badge.className = "badge verified";
      badge.textContent = t(`✓ 计票由${office}签署，已在本机核验`, `✓ Tally signed by ${office}, checked in this browser`);
      $("recount").textContent = t(
        `已按公布的 ${ballots.ballots.length} 张选票重新计数，与计票结果一致。`,
        `Recounted from the ${ballots.ballots.length} published ballots: the tally holds.`,
      );
    } catch (e) {
      badge.className = "badge failed";
      badge.textContent = failed(e);
    } finally {
      badge.dataset.ms = String(performance.now() - started);
    }
  }

  async function checkReceipt(event) {
    if (event) event.preventDefault();
    const out = $("check-result");
    const receipt = $("receipt").value.trim().toLowerCase();
    if (!receipt) return;
    out.hidden = false;
    out.className = "";
    out.textContent = t("核验中…", "Checking…");
    const started = performance.now();
    try {
      const { tally } = await verifiedTally();
      const response = await fetch(`/api/v1/rounds/${encodeURIComponent(id)}/receipts/${encodeURIComponent(receipt)}`);
      if (!response.ok) {
        throw new YiyiVerify.Failure("receipt", t(
          `本轮计票中没有回执 ${receipt.slice(0, 16)}… 的意见：它被漏计或删改了，请向社区和街道反映`,
          `the tally holds no ballot with receipt ${receipt.slice(0, 16)}…: it was left out or altered; tell the office and the street`,
        ));
      }
      const proof = await response.json();
      const mine = saved();
      const expected = mine && mine.receipt === receipt ? mine.choice : undefined;
      const choice = await YiyiVerify.checkReceipt(tally, id, receipt, proof, expected);
      out.className = "ok";
      out.textContent = t(`✓ 您的意见“${round.options[choice]}”已计入本轮计票。`, `✓ Your view "${round.options[choice]}" is counted in this tally.`);
    } catch (e) {
      out.className = "failed";
      out.textContent = failed(e);
    } finally {
      out.dataset.ms = String(performance.now() - started);
    }
  }

  YiyiPage.toggle(() => round && show(round, false));
  $("vote").addEventListener("submit", vote);
  $("check").addEventListener("submit", checkReceipt);

  applyLang();
  // From a card's QR code: /r/ID#c=CODE fills the code in; a saved
  // receipt link: /r/ID#r=RECEIPT.
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("c")) $("code").value = hash.get("c");
  fetch(`/api/v1/rounds/${encodeURIComponent(id)}`)
    .then(async (response) => {
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error((YiyiPage.lang() === "zh" && answer.zh) || answer.message || String(response.status));
      round = answer;
      show(round, true);
      const mine = saved();
      $("receipt").value = hash.get("r") || (mine ? mine.receipt : "");
      if (round.tally) {
        await checkTally();
        if ($("receipt").value) await checkReceipt();
      }
    })
    .catch((e) => {
      $("load-error").textContent = String(e.message || e);
      $("load-error").hidden = false;
    });
})();
