/* Every page: the day/night toggle, and keyboard access to boxes that scroll sideways.
   Plain JavaScript, no build step, nothing loaded from elsewhere. */
(function () {
  "use strict";

  var KEY = "qbank-theme";
  var root = document.documentElement;
  var systemDark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function systemTheme() {
    return systemDark && systemDark.matches ? "dark" : "light";
  }

  function currentTheme() {
    var chosen = root.getAttribute("data-theme");
    return chosen === "dark" || chosen === "light" ? chosen : systemTheme();
  }

  function save(theme) {
    try {
      if (theme === null) localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, theme);
    } catch (e) {
      /* private mode: the choice lasts for this page only */
    }
  }

  function showState(button) {
    var dark = currentTheme() === "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
  }

  function setupToggle() {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    showState(button);
    button.addEventListener("click", function () {
      var next = currentTheme() === "dark" ? "light" : "dark";
      // Choosing what the system already shows means "follow the system" again.
      if (next === systemTheme()) {
        root.removeAttribute("data-theme");
        save(null);
      } else {
        root.setAttribute("data-theme", next);
        save(next);
      }
      showState(button);
    });
    if (systemDark && systemDark.addEventListener) {
      systemDark.addEventListener("change", function () {
        showState(button);
      });
    }
  }

  /* A code block, table or formula wider than the screen scrolls; a keyboard user can only
     scroll it if it can take focus (WCAG 2.1.1). Only boxes that do overflow get a tab stop. */
  function focusableScrollers() {
    var boxes = document.querySelectorAll(".prose pre, .table-wrap, .math-block");
    var counts = {};
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (box.scrollWidth > box.clientWidth + 1) {
        // A named region each, numbered: landmarks of one page must have distinct names.
        var kind = box.tagName === "PRE" ? "代码" : box.className === "table-wrap" ? "表格" : "公式";
        counts[kind] = (counts[kind] || 0) + 1;
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", kind + " " + counts[kind] + "（可横向滚动）");
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  }

  window.QBankSite = { focusableScrollers: focusableScrollers };

  function start() {
    setupToggle();
    focusableScrollers();
    var timer = 0;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(focusableScrollers, 150);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
