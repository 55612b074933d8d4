// What the board's pages share: the language (Chinese first, English by
// the toggle, remembered in this browser), the static texts in both
// (data-zh / data-en, and placeholders), and a refusal shown next to the
// form field it is about.
"use strict";
const YiyiPage = (() => {
  const $ = (id) => document.getElementById(id);
  let lang = localStorage.getItem("yiyi-lang") || "zh";

  // Shows every static text in the current language; `then` redraws what
  // the page made itself.
  function apply(then) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    $("lang").textContent = lang === "zh" ? "English" : "中文";
    for (const el of document.querySelectorAll("[data-zh]")) el.textContent = el.dataset[lang];
    for (const el of document.querySelectorAll("[data-zh-placeholder]"))
      el.placeholder = el.dataset[lang + "Placeholder"];
    if (then) then();
  }

  // The toggle: switches, remembers, redraws.
  function toggle(then) {
    $("lang").addEventListener("click", () => {
      lang = lang === "zh" ? "en" : "zh";
      localStorage.setItem("yiyi-lang", lang);
      apply(then);
    });
  }

  // The node's refusal under its field (`<field>-error`), else in `error`;
  // in Chinese when the node says it so.
  function refused(answer, status) {
    const message = (lang === "zh" && answer.zh) || answer.message || String(status);
    const slot = (answer.field && $(answer.field + "-error")) || $("error");
    slot.textContent = message;
    slot.hidden = false;
  }

  return { lang: () => lang, t: (zh, en) => (lang === "zh" ? zh : en), apply, toggle, refused };
})();
