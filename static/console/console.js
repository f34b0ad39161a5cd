// BillyGoat Console: the only script of our own (the CSP allows no inline script).
// Everything is delegated from the document, so content that htmx swaps in works too.
"use strict";

(() => {
  const root = document.documentElement;
  // Tells the CSS that the menu button works, so the small-screen menu may start closed.
  root.classList.add("js");

  // ---------- Theme: prefers-color-scheme unless the user chose light or dark ----------

  const THEME_KEY = "billygoat-console-theme";
  const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

  function storedTheme() {
    try {
      const value = window.localStorage.getItem(THEME_KEY);
      return value === "light" || value === "dark" ? value : null;
    } catch {
      return null; // storage disabled: follow the system
    }
  }

  // data-theme on <html> is the theme in force when set; otherwise the system's.
  function currentTheme() {
    return root.dataset.theme ?? (systemDark.matches ? "dark" : "light");
  }

  function showTheme() {
    const dark = currentTheme() === "dark";
    for (const button of document.querySelectorAll(".theme-toggle")) {
      button.setAttribute("aria-pressed", String(dark));
      button.hidden = false;
    }
  }

  function applyTheme() {
    const chosen = storedTheme();
    if (chosen) {
      root.dataset.theme = chosen;
    } else {
      delete root.dataset.theme;
    }
    showTheme();
  }

  function toggleTheme() {
    const next = currentTheme() === "dark" ? "light" : "dark";
    root.dataset.theme = next;
    try {
      window.localStorage.setItem(THEME_KEY, next);
    } catch {
      // Storage disabled: switched for this page only.
    }
    showTheme();
  }

  applyTheme();
  systemDark.addEventListener("change", showTheme);
  // Another tab changed the theme.
  window.addEventListener("storage", (event) => {
    if (event.key === THEME_KEY) applyTheme();
  });

  // ---------- Menu button (small screens) ----------

  function menuButton() {
    return document.querySelector(".menu-toggle");
  }

  function setMenuOpen(button, open) {
    button.setAttribute("aria-expanded", String(open));
  }

  const initialMenuButton = menuButton();
  if (initialMenuButton) {
    setMenuOpen(initialMenuButton, false);
    initialMenuButton.hidden = false;
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const button = menuButton();
    if (!button || button.getAttribute("aria-expanded") !== "true") return;
    const menu = document.getElementById(button.getAttribute("aria-controls"));
    const focusInMenu = menu && menu.contains(document.activeElement);
    setMenuOpen(button, false);
    if (focusInMenu || document.activeElement === button) button.focus();
  });

  // ---------- Clicks: theme toggle, menu button, confirmations ----------

  // A submit button whose data-confirm was just accepted on click; its submit event must
  // not ask a second time.
  let confirmedSubmitter = null;

  document.addEventListener(
    "click",
    (event) => {
      const target = event.target instanceof Element ? event.target : null;
      if (!target) return;

      if (target.closest(".theme-toggle")) {
        toggleTheme();
        return;
      }

      const menuToggle = target.closest(".menu-toggle");
      if (menuToggle) {
        setMenuOpen(menuToggle, menuToggle.getAttribute("aria-expanded") !== "true");
        return;
      }

      // Buttons and links with data-confirm (forms are handled on submit, below). Runs in
      // the capture phase so that a refusal also stops htmx (hx-post, hx-delete, …).
      const confirmable = target.closest("[data-confirm]");
      if (confirmable && confirmable.tagName !== "FORM") {
        if (!window.confirm(confirmable.dataset.confirm)) {
          event.preventDefault();
          event.stopImmediatePropagation();
        } else if (confirmable.form || confirmable.closest("form")) {
          // The submit that follows should not ask again for the same intent.
          confirmedSubmitter = confirmable;
        }
      }
    },
    true,
  );

  // Forms with data-confirm, and submit buttons with data-confirm that were submitted
  // without a click (form.requestSubmit(button)).
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      const submitter = event.submitter;
      const alreadyConfirmed = submitter && submitter === confirmedSubmitter;
      confirmedSubmitter = null;

      const questions = [];
      if (form.dataset.confirm) questions.push(form.dataset.confirm);
      if (submitter?.dataset.confirm && !alreadyConfirmed) questions.push(submitter.dataset.confirm);
      for (const question of questions) {
        if (!window.confirm(question)) {
          event.preventDefault();
          event.stopImmediatePropagation();
          return;
        }
      }
    },
    true,
  );

  // ---------- data-autosubmit: submit the form when the control changes ----------

  document.addEventListener("change", (event) => {
    const control = event.target instanceof Element ? event.target.closest("[data-autosubmit]") : null;
    if (!control) return;
    const form = control.form ?? control.closest("form");
    if (form) form.requestSubmit();
  });

  // ---------- htmx failures: say so instead of silently doing nothing ----------

  function showError(text) {
    const container = document.getElementById("messages");
    if (!container) return;
    let list = container.querySelector("ul");
    if (!list) {
      list = document.createElement("ul");
      container.append(list);
    }
    if (list.lastElementChild?.textContent === text) return; // the same failure again
    const item = document.createElement("li");
    item.className = "message error";
    item.setAttribute("role", "alert");
    item.textContent = text;
    list.append(item);
  }

  document.addEventListener("htmx:responseError", (event) => {
    const status = event.detail?.xhr?.status;
    if (status === 401 || status === 403) {
      showError("You are no longer allowed to do this, or your session has ended. Reload the page.");
    } else if (status === 429) {
      showError("Too many requests. Wait a minute, then try again.");
    } else {
      showError(`The server could not complete the request (status ${status}). Reload the page and try again.`);
    }
  });

  document.addEventListener("htmx:sendError", () => {
    showError("The console could not be reached. Check your connection, then try again.");
  });
})();

// Bulk selection: the header checkbox selects every row checkbox of its table.
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-select-all]");
  if (!all) return;
  const table = all.closest("table");
  for (const box of table.querySelectorAll('tbody input[type="checkbox"][name="pk"]')) {
    box.checked = all.checked;
  }
});
