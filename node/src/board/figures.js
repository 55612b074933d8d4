// The board's figures (数据统计): this office's own, and, for a street or a
// district, each office of its subtree, as bar charts drawn in inline SVG
// (no external assets; presentation attributes, not styles, so the strict
// CSP holds). The figures come from /api/v1/stats, which names the
// checkpoint of every ledger counted: the page lists them, with the
// command that recomputes the export from those ledgers.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const t = (zh, en) => YiyiPage.t(zh, en);
  // The own office's bars: figure, label, colour.
  const OWN = [
    ["raised", ["提出", "Raised"], "#4a6fa5"],
    ["accepted", ["受理", "Accepted"], "#4a6fa5"],
    ["resolved", ["办结", "Resolved"], "#1a7f37"],
    ["disputes_resolved", ["化解矛盾", "Disputes resolved"], "#1a7f37"],
    ["open", ["在办", "Open"], "#8a8a8a"],
    ["overdue", ["逾期", "Overdue"], "#b42318"],
  ];
  let own = null;
  let subtree = null;

  const el = (name, attrs, text) => {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };

  // A horizontal bar chart: one row per item, each a list of [value,
  // colour] segments stacked, with its label on the left and its figures
  // after the bar.
  // Drawn at the width it is shown at, so its text is the page's size on
  // a phone as on a desktop.
  function chart(title, rows, box) {
    const width = Math.max(300, Math.min(640, box.clientWidth || 360));
    const row = 28, labelWidth = Math.min(150, Math.round(width * 0.3)), after = 130;
    const barWidth = width - labelWidth - after;
    const max = Math.max(1, ...rows.map((r) => r.segments.reduce((s, [v]) => s + v, 0)));
    const svg = el("svg", {
      viewBox: `0 0 ${width} ${rows.length * row + 8}`, role: "img",
      "aria-label": title, class: "chart", width, height: rows.length * row + 8,
    });
    svg.append(el("title", {}, title));
    rows.forEach((r, i) => {
      const y = i * row + 4;
      const g = el("g", { "data-key": r.key });
      g.append(el("text", { x: labelWidth - 8, y: y + 18, "text-anchor": "end", "font-size": 14, fill: "#222" }, r.label));
      let x = labelWidth;
      for (const [value, colour] of r.segments) {
        const w = (value / max) * barWidth;
        if (w > 0) g.append(el("rect", { x, y: y + 4, width: w, height: row - 10, fill: colour }));
        x += w;
      }
      g.append(el("text", { x: x + 6, y: y + 18, "font-size": 13, fill: "#444" }, r.figures));
      svg.append(g);
    });
    return svg;
  }

  function drawOwn() {
    const f = own.report.totals.figures;
    return chart(
      t("本机构", "This office"),
      OWN.map(([key, label, colour]) => ({
        key, label: t(...label), segments: [[f[key], colour]], figures: String(f[key]),
      })),
      $("figures-own"),
    );
  }

  // Per office: resolved (green), then open on time (grey) and overdue (red).
  function drawSubtree() {
    const rows = subtree.report.rows.map((r) => {
      const f = r.figures;
      return {
        key: r.log || r.key,
        label: r.key,
        segments: [[f.resolved, "#1a7f37"], [f.open - f.overdue, "#8a8a8a"], [f.overdue, "#b42318"]],
        figures: t(`办结${f.resolved} 在办${f.open} 逾期${f.overdue}`,
          `${f.resolved} done, ${f.open} open, ${f.overdue} late`),
      };
    });
    return chart(t("辖区各机构", "Each office below"), rows, $("figures-subtree-box"));
  }

  function caseStudy(c) {
    return t(
      `协商议事机构 ${c.bodies} 个，协商解决公共事务 ${c.public_affairs_resolved} 件、民生实事 ${c.livelihood_resolved} 件、突出矛盾 ${c.disputes_resolved} 件。`,
      `${c.bodies} consultation bodies; resolved ${c.public_affairs_resolved} public affairs, ${c.livelihood_resolved} livelihood matters and ${c.disputes_resolved} disputes.`,
    );
  }

  function draw() {
    if (!own) return;
    $("figures-own-name").textContent = own.offices.length ? own.offices[0].name : "";
    $("figures-own").replaceChildren(drawOwn());
    const below = subtree && subtree.offices.length > 1;
    $("figures-subtree-box").hidden = !below;
    if (below) {
      $("figures-subtree").replaceChildren(drawSubtree());
      $("figures-case").textContent = caseStudy(subtree.report.case_study);
    }
    const counted = (below ? subtree : own).offices.map((o) => {
      const li = document.createElement("li");
      const size = o.checkpoint.split("\n")[1];
      li.textContent = t(`${o.name}：台账前 ${size} 条`, `${o.name}: the first ${size} entries`);
      return li;
    });
    $("figures-checkpoints").replaceChildren(...counted);
  }

  // The period chosen, as the stats query's from/to; `on` as the board's.
  function query(scope) {
    const params = new URLSearchParams({ scope, by: "office" });
    const days = $("figures-period").value;
    if (days) {
      const from = new Date(Date.now() + 8 * 3600e3 - (Number(days) - 1) * 86400e3);
      params.set("from", from.toISOString().slice(0, 10));
    }
    const on = new URLSearchParams(location.search).get("on");
    if (on) params.set("on", on);
    return "/api/v1/stats?" + params;
  }

  async function load() {
    const get = async (scope) => {
      const r = await fetch(query(scope));
      if (!r.ok) throw new Error(`${r.status}`);
      return r.json();
    };
    try {
      [own, subtree] = await Promise.all([get("own"), get("subtree")]);
      $("figures-export").href = query("subtree");
      draw();
      document.body.dataset.figures = "shown";
    } catch (e) {
      $("figures-own").textContent = t("统计暂不可用：", "Figures unavailable: ") + e.message;
    }
  }

  $("figures-period").addEventListener("change", load);
  $("lang").addEventListener("click", draw);
  let resizing = null;
  window.addEventListener("resize", () => { clearTimeout(resizing); resizing = setTimeout(draw, 200); });
  $("figures").addEventListener("toggle", () => { if ($("figures").open && !own) load(); });
})();
