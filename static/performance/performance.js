// Performance: live refresh of the explorer's chart and the dashboard's latency panel.
// Every element with data-live-refresh is re-fetched by htmx ("perf-refresh" event) every
// data-live-seconds while the tab is visible and the user has not paused it (the paused /
// live switch, remembered for the tab). Hidden tabs ask the server for nothing.
"use strict";

(() => {
  if (window.perfLive) return; // the dashboard panel and the explorer may both include it
  const PAUSED_KEY = "billygoat-performance-paused";
  const state = { last: Date.now(), refreshes: 0 };
  window.perfLive = state;

  function paused() {
    try {
      return window.sessionStorage.getItem(PAUSED_KEY) === "1";
    } catch {
      return state.pausedHere === true;
    }
  }

  function setPaused(value) {
    state.pausedHere = value;
    try {
      if (value) window.sessionStorage.setItem(PAUSED_KEY, "1");
      else window.sessionStorage.removeItem(PAUSED_KEY);
    } catch {
      // storage disabled: paused for this page only
    }
    show();
  }

  function seconds() {
    const el = document.querySelector("[data-live-seconds]");
    return Number(el && el.dataset.liveSeconds) || 15;
  }

  function mode() {
    if (paused()) return "paused";
    return document.visibilityState === "visible" ? "live" : "hidden";
  }

  function show() {
    const now = mode();
    document.documentElement.dataset.perfLive = now;
    for (const button of document.querySelectorAll(".live-toggle")) {
      button.setAttribute("aria-pressed", String(now !== "paused"));
      button.textContent = now === "paused" ? "Paused" : "Live";
      button.title = now === "paused" ? "Resume live refresh" : "Pause live refresh";
    }
    const text = {
      live: `Live: refreshes every ${seconds()} s while this tab is visible.`,
      hidden: "Paused while this tab is hidden.",
      paused: "Paused: press the switch to refresh live again.",
    }[now];
    for (const status of document.querySelectorAll(".live-status")) status.textContent = text;
  }

  function refresh() {
    state.last = Date.now();
    const targets = document.querySelectorAll("[data-live-refresh]");
    if (!targets.length || !window.htmx) return;
    state.refreshes += 1;
    for (const el of targets) window.htmx.trigger(el, "perf-refresh");
  }

  function due() {
    return Date.now() - state.last >= seconds() * 1000;
  }

  window.setInterval(() => {
    if (mode() === "live" && due()) refresh();
  }, 500);

  document.addEventListener("visibilitychange", () => {
    show();
    if (mode() === "live" && due()) refresh(); // back on the tab: catch up at once
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".live-toggle");
    if (!button) return;
    setPaused(!paused());
    if (mode() === "live") refresh();
  });

  document.addEventListener("htmx:afterSettle", show);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", show);
  else show();
})();
