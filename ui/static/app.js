// Keyway dashboard: progressive enhancement only. Every action works
// without this file; it adds copy buttons, confirmations, the account
// switcher's auto-submit, local dates and the chart switch.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Copy buttons copy the text of the element their data-copy names.
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var el = document.getElementById(b.getAttribute("data-copy"));
      if (!el || !navigator.clipboard) return;
      navigator.clipboard.writeText(el.textContent).then(function () {
        var was = b.textContent;
        b.textContent = "Copied";
        setTimeout(function () { b.textContent = was; }, 1500);
      });
    });
  });
  // The account switcher submits on change; its button stays for no-JS.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  // Typed confirmations: the button is enabled once the text matches.
  document.querySelectorAll("input[data-confirm]").forEach(function (i) {
    var btn = i.form.querySelector("button[type=submit]");
    var check = function () { btn.disabled = i.value !== i.getAttribute("data-confirm"); };
    i.addEventListener("input", check);
    check();
  });
  // Dates are rendered in UTC; show them in the browser's locale too.
  document.querySelectorAll("time[datetime]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) t.title = d.toLocaleString();
  });
  // Chart switch: show one of the charts by hour / by day without a reload.
  document.querySelectorAll("[data-chart-switch] a").forEach(function (a) {
    a.addEventListener("click", function (e) {
      var target = document.getElementById(a.getAttribute("data-show"));
      if (!target) return;
      e.preventDefault();
      document.querySelectorAll("[data-chart]").forEach(function (c) { c.hidden = c !== target; });
      a.parentNode.querySelectorAll("a").forEach(function (o) { o.removeAttribute("aria-current"); });
      a.setAttribute("aria-current", "true");
    });
  });
  // Analytics: chart numbers and UTC dates in the browser's locale (the
  // dates stay in UTC, as the page says).
  (function () {
    document.querySelectorAll("[data-num]").forEach(function (el) {
      var n = Number(el.textContent);
      var o = el.getAttribute("data-num") === "compact" ? { notation: "compact" } : undefined;
      if (el.textContent !== "" && isFinite(n)) el.textContent = n.toLocaleString(undefined, o);
    });
    var day = { year: "numeric", month: "short", day: "numeric" };
    var formats = {
      hour: { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" },
      day: day, week: day, month: { year: "numeric", month: "long" },
      "tick-hour": { month: "short", day: "numeric", hour: "numeric" },
      "tick-day": { month: "short", day: "numeric" }, "tick-week": { month: "short", day: "numeric" },
      "tick-month": { year: "2-digit", month: "short" }
    };
    document.querySelectorAll("[data-utc]").forEach(function (el) {
      var f = formats[el.getAttribute("data-utc")];
      var d = new Date(el.getAttribute("data-at") || el.getAttribute("datetime"));
      if (!f || isNaN(d)) return;
      var o = { timeZone: "UTC" };
      for (var k in f) o[k] = f[k];
      var text = d.toLocaleString(undefined, o);
      if (el.getAttribute("data-utc") === "hour") text += " UTC+00:00";
      if (el.getAttribute("data-utc") === "week") text = el.textContent.replace(/\d{4}-\d{2}-\d{2}/, text);
      el.textContent = text;
    });
  })();
});
