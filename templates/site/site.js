/* Every page: the words the scripts show, the day/night toggle, and keyboard access to boxes that
   scroll sideways. Plain JavaScript, no build step, nothing loaded from elsewhere. */
(function () {
  "use strict";

  /* The bank's words for the scripts (site.js.* and a few common.*), rendered into the page as JSON by
     base.html.j2: no request, so it works from file:// too. Deferred scripts run in order, so
     search.js and practice.js find word() here. */
  var WORDS = (function () {
    var block = document.getElementById("qb-words");
    try {
      return block ? JSON.parse(block.textContent) : {};
    } catch (e) {
      return {};
    }
  })();

  /* A catalog pattern with its {name} values filled in, like Python's str.format; a table
     {one, other} is chosen by values.n. An unknown key shows as itself rather than nothing. */
  function word(key, values) {
    var value = WORDS[key];
    values = values || {};
    if (value === undefined) return key;
    if (typeof value === "object") value = values.n === 1 && "one" in value ? value.one : value.other;
    return String(value).replace(/\{\{|\}\}|\{(\w+)\}/g, function (match, name) {
      if (match === "{{") return "{";
      if (match === "}}") return "}";
      return name in values ? String(values[name]) : match;
    });
  }

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
        var kind = word(
          box.tagName === "PRE" ? "site.js.code" : box.className === "table-wrap" ? "site.js.table" : "site.js.formula"
        );
        counts[kind] = (counts[kind] || 0) + 1;
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", word("site.js.scroller", { kind: kind, n: counts[kind] }));
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  }

  /* The site's root, from this script's own URL (assets/site.js): pages at any depth find the
     manifest and the worker there. */
  var here = document.currentScript && document.currentScript.src;
  var siteRoot = here ? new URL("../", here).href : new URL("./", location.href).href;

  /* Over http(s) the site is a web app that works offline once visited: the manifest lets a phone
     add it to the home screen, and sw.js keeps every file of the build. From file:// neither is
     possible nor needed (the files are on the device already), so nothing is asked for there. */
  function setupOffline() {
    if (location.protocol !== "https:" && location.protocol !== "http:") return;
    var link = document.createElement("link");
    link.rel = "manifest";
    link.href = siteRoot + "manifest.webmanifest";
    document.head.appendChild(link);
    if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
    navigator.serviceWorker.register(siteRoot + "sw.js", { scope: siteRoot }).catch(function () {
      /* a browser that refuses the worker still shows the site online */
    });
  }

  window.QBankSite = { focusableScrollers: focusableScrollers, word: word };

  function start() {
    setupToggle();
    setupOffline();
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
