// 我要反映: a resident raises a concern with the office and reads where it
// stands by its receipt code. Everything typed goes into text nodes (never
// markup); the page talks only to its own node (the board's CSP).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const t = YiyiPage.t;
  const CATEGORIES = [
    ["daily-life", "日常生活及矛盾类", "Daily life and disputes"],
    ["public-affairs", "公共事务类", "Public affairs"],
    ["policy", "政策部署执行类", "Carrying out policy"],
  ];
  const STATUS = {
    received: ["已收到，等待社区把关", "Received, waiting for the office"],
    topic: ["已转为议题", "Taken up as a topic"],
    merged: ["已与其他居民的反映一并转为议题", "Taken up with other residents' concerns as one topic"],
    answered: ["社区已答复", "The office has answered"],
    matter: ["已由12345平台直接受理，派部门办理", "Taken in at the 12345 desk and dispatched to departments"],
  };
  const MATTER = {
    received: ["待派单", "waiting to be dispatched"], dispatched: ["部门办理中", "with the departments"],
    resolved: ["已办结", "resolved"],
  };
  let catalogue = [];

  function applyLang() {
    YiyiPage.apply(fillCategories);
  }

  function fillCategories() {
    const chosen = $("category").value;
    $("category").replaceChildren(
      ...CATEGORIES.map(([value, zh, en]) => new Option(t(zh, en), value)),
    );
    if (chosen) $("category").value = chosen;
    fillItems();
  }

  function fillItems() {
    const category = $("category").value;
    const chosen = $("sub-item").value;
    $("sub-item").replaceChildren(
      new Option(t("（不选）", "(none)"), ""),
      ...catalogue.filter((c) => c.category === category).map((c) => new Option(c.item, c.item)),
    );
    if (chosen) $("sub-item").value = chosen;
  }

  function clearErrors() {
    for (const el of document.querySelectorAll("#raise .bad")) {
      el.hidden = true;
      el.textContent = "";
    }
  }

  async function raise(event) {
    event.preventDefault();
    clearErrors();
    $("send").disabled = true;
    try {
      const response = await fetch("/api/v1/concerns", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          what: $("what").value,
          where: $("where").value,
          category: $("category").value,
          sub_item: $("sub-item").value,
          contact: $("contact").value,
        }),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.status !== 201) return YiyiPage.refused(answer, response.status);
      $("receipt").textContent = answer.receipt;
      $("received").hidden = false;
      $("raise").hidden = true;
      $("code").value = answer.receipt;
      $("received").scrollIntoView();
    } catch (e) {
      YiyiPage.refused({ message: String(e) }, 0);
    } finally {
      $("send").disabled = false;
    }
  }

  async function lookUp(event) {
    if (event) event.preventDefault();
    $("look-error").hidden = true;
    $("status").hidden = true;
    const code = $("code").value.trim();
    if (!code) return;
    const response = await fetch(`/api/v1/concerns/${encodeURIComponent(code)}`);
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      $("look-error").textContent = (YiyiPage.lang() === "zh" && answer.zh) || answer.message || String(response.status);
      $("look-error").hidden = false;
      return;
    }
    const [zh, en] = STATUS[answer.status] || [answer.status, answer.status];
    $("status-text").textContent = t(zh, en);
    $("status-what").textContent = answer.what;
    const more = [];
    if (answer.topic) more.push(t(`议题编号：${answer.topic}（可在公示栏查看进程）`, `Topic ${answer.topic} (its course is on the board)`));
    if (answer.reply) more.push(t(`答复：${answer.reply}`, `Reply: ${answer.reply}`));
    if (answer.matter) {
      const [zh, en] = MATTER[answer.matter.status] || [answer.matter.status, answer.matter.status];
      more.push(t(`事项编号：${answer.matter.id}（${zh}）`, `Matter ${answer.matter.id} (${en})`));
      if (answer.matter.result) more.push(t(`办理结果：${answer.matter.result}`, `Result: ${answer.matter.result}`));
    }
    $("status-more").textContent = more.join("\n");
    $("status").hidden = false;
  }

  YiyiPage.toggle(fillCategories);
  $("category").addEventListener("change", fillItems);
  $("raise").addEventListener("submit", raise);
  $("look").addEventListener("submit", lookUp);

  applyLang();
  fetch("/api/v1/catalogue")
    .then((r) => r.json())
    .then((c) => {
      catalogue = c.catalogue || [];
      fillItems();
    })
    .catch(() => {});
  // Opened from a saved link: /concern#r=CODE looks it up at once.
  function fromLink() {
    const saved = new URLSearchParams(location.hash.slice(1)).get("r");
    if (saved) {
      $("code").value = saved;
      $("lookup").scrollIntoView();
      lookUp();
    }
  }
  window.addEventListener("hashchange", fromLink);
  fromLink();
})();
