/* Practice mode: walk the questions of a filtered set in random order. A question shows its key
   points with the part to recall blanked; a key press or a tap reveals them one at a time, then
   the full answer. "Knew it" / "Not yet" are kept in the browser (localStorage, per bank), and
   ?missed=1 walks only the questions marked "not yet". The set is the same as the search page's
   for the same URL parameters. Each question is read from its own script (q/<id>.js), so the
   practice page stays small and works from file://. ?seed=N gives a repeatable order (for a study group, and for tests). */
(function () {
  "use strict";

  var S = window.QBankSearch;
  var word = window.QBankSite.word; // site.js: the words of the bank's language

  /* mulberry32: a small seeded generator; without a seed the order differs on every visit. */
  function generator(seed) {
    if (seed === null) return Math.random;
    var a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      var t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function shuffle(list, random) {
    var out = list.slice();
    for (var i = out.length - 1; i > 0; i--) {
      var j = Math.floor(random() * (i + 1));
      var tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }

  function el(id) {
    return document.getElementById(id);
  }

  /* What the user marked, per question id: "knew" or "missed". Kept per bank; a browser that
     refuses storage (some private modes) still practises, it just forgets. */
  var MARKS_KEY = "qbank-marks:" + (document.documentElement.getAttribute("data-bank") || "");

  function readMarks() {
    try {
      var marks = JSON.parse(localStorage.getItem(MARKS_KEY) || "{}");
      return marks && typeof marks === "object" ? marks : {};
    } catch (e) {
      return {};
    }
  }

  function writeMarks(marks) {
    try {
      localStorage.setItem(MARKS_KEY, JSON.stringify(marks));
    } catch (e) {
      /* storage refused: the marks last as long as the page */
    }
  }

  function start() {
    var section = el("practice");
    var filterForm = el("scope");
    if (!section || !filterForm || !S) return;
    var params = new URLSearchParams(location.search);
    var state = S.readState(params);
    var seedText = params.get("seed");
    var random = generator(seedText !== null && /^\d+$/.test(seedText) ? Number(seedText) : null);
    var order = [];
    var position = 0;
    var pages = {};
    var waiting = {};
    var index = null;

    var title = el("practice-title");
    var number = el("practice-number");
    var meta = el("practice-meta");
    var answer = el("practice-answer");
    var body = el("practice-answer-body");
    var reveal = el("practice-reveal");
    var nextPoint = el("practice-next-point");
    var points = el("practice-points");
    var knew = el("practice-knew");
    var missed = el("practice-missed");
    var missedOnly = el("practice-missed-only");
    var marksLine = el("practice-marks");
    var marks = readMarks();
    missedOnly.checked = params.get("missed") === "1";
    var prev = el("practice-prev");
    var next = el("practice-next");
    var progress = el("practice-progress");
    var open = el("practice-open");
    var empty = el("practice-empty");
    var scopeLabel = el("scope-label");

    function scopeText() {
      var parts = [];
      if (state.q) parts.push(word("site.js.quoted", { text: state.q }));
      S.FACETS.forEach(function (name) {
        var select = document.getElementById(filterForm.id + "-" + name);
        if (state[name] && select && select.selectedIndex > 0) {
          // The option's name without its count (the template writes it beside the text).
          parts.push(select.options[select.selectedIndex].getAttribute("data-label"));
        }
      });
      return parts.length ? parts.join(word("site.js.scope_separator")) : word("site.js.all_questions");
    }

    /* A question's parts (title, badges, key points, answer, formulas), from q/<id>.js: a script,
       so it loads from file:// as well as from a server. The script calls receive() below. */
    function load(id) {
      if (!pages[id]) {
        pages[id] = new Promise(function (resolve, reject) {
          waiting[id] = resolve;
          var script = document.createElement("script");
          script.src = "q/" + encodeURIComponent(id) + ".js";
          script.onerror = function () {
            delete pages[id];
            delete waiting[id];
            reject(new Error("q/" + id + ".js"));
          };
          document.head.appendChild(script);
        });
      }
      return pages[id];
    }

    window.QBankPractice = {
      receive: function (id, page) {
        if (waiting[id]) waiting[id](page);
        delete waiting[id];
      }
    };

    function show(focus) {
      var doc = index.docs[order[position]];
      var id = doc.id;
      progress.textContent = word("site.js.progress", { i: position + 1, n: order.length });
      number.textContent = word("common.question", { number: doc.n });
      open.setAttribute("href", "q/" + encodeURIComponent(id) + ".html");
      answer.hidden = true;
      points.hidden = true;
      points.innerHTML = "";
      reveal.setAttribute("aria-expanded", "false");
      reveal.disabled = false;
      nextPoint.disabled = true;
      showMark(id);
      prev.disabled = position === 0;
      next.disabled = position + 1 >= order.length;
      section.setAttribute("data-question", id);
      return load(id).then(
        function (page) {
          if (index.docs[order[position]].id !== id) return; // moved on meanwhile
          title.innerHTML = page.title;
          meta.innerHTML = "";
          for (var i = 0; i < page.badges.length; i++) {
            var badge = document.createElement("span");
            badge.className = page.badges[i][0];
            badge.textContent = page.badges[i][1];
            meta.appendChild(badge);
          }
          points.innerHTML = "";
          for (var p = 0; p < page.points.length; p++) {
            var point = document.createElement("li");
            point.innerHTML = page.points[p];
            points.appendChild(point);
          }
          var spans = points.querySelectorAll("mark");
          for (var m = 0; m < spans.length; m++) {
            // blanked: the box stays (its width hints at the length), its content is hidden
            var inner = document.createElement("span");
            while (spans[m].firstChild) inner.appendChild(spans[m].firstChild);
            spans[m].appendChild(inner);
            spans[m].classList.add("kp-hidden");
          }
          points.hidden = !page.points.length;
          nextPoint.disabled = !hiddenPoint();
          body.innerHTML = page.answer + page.formulas;
          section.setAttribute("data-loaded", id);
          if (focus) title.focus();
        },
        function (error) {
          title.textContent = word("site.js.load_failed", { error: error.message });
        }
      );
    }

    /* The first key point whose blanks are still hidden (its <li>), or null. */
    function hiddenPoint() {
      var blank = points.querySelector("mark.kp-hidden");
      return blank ? blank.closest("li") : null;
    }

    function revealPoint(item) {
      var blanks = item.querySelectorAll("mark.kp-hidden");
      for (var i = 0; i < blanks.length; i++) blanks[i].classList.remove("kp-hidden");
      item.classList.add("kp-shown");
    }

    /* The next key point, or the answer once every point is shown (the space bar). */
    function revealNext() {
      var item = hiddenPoint();
      if (item) {
        revealPoint(item);
        nextPoint.disabled = !hiddenPoint();
      } else {
        showAnswer();
      }
    }

    function showAnswer() {
      var item;
      while ((item = hiddenPoint())) revealPoint(item);
      nextPoint.disabled = true;
      if (!answer.hidden) return;
      answer.hidden = false;
      reveal.setAttribute("aria-expanded", "true");
      reveal.disabled = true;
      if (window.QBankSite) window.QBankSite.focusableScrollers();
    }

    function showMark(id) {
      knew.setAttribute("aria-pressed", marks[id] === "knew" ? "true" : "false");
      missed.setAttribute("aria-pressed", marks[id] === "missed" ? "true" : "false");
      var counts = { knew: 0, missed: 0 };
      for (var key in marks) if (counts[marks[key]] !== undefined) counts[marks[key]]++;
      marksLine.textContent = word("site.js.marks", counts);
    }

    function mark(value) {
      var id = index.docs[order[position]].id;
      marks = readMarks(); // another tab may have marked meanwhile
      marks[id] = value;
      writeMarks(marks);
      showMark(id);
      if (position + 1 < order.length) go(1);
    }

    function go(step) {
      var target = position + step;
      if (target < 0 || target >= order.length) return;
      position = target;
      show(true);
    }

    function restart() {
      var chosen = S.select(index, state);
      if (missedOnly.checked) {
        marks = readMarks();
        chosen = chosen.filter(function (n) {
          return marks[index.docs[n].id] === "missed";
        });
      }
      order = shuffle(chosen, random);
      position = 0;
      scopeLabel.textContent = scopeText();
      empty.hidden = order.length > 0;
      empty.textContent = missedOnly.checked ? word("site.js.no_missed") : emptyText;
      section.hidden = order.length === 0;
      var extra = {};
      if (seedText !== null) extra.seed = seedText;
      if (missedOnly.checked) extra.missed = "1";
      history.replaceState(null, "", location.pathname + S.stateQuery(state, extra));
      if (order.length) show(false);
    }

    var emptyText = empty.textContent;
    reveal.addEventListener("click", showAnswer);
    nextPoint.addEventListener("click", revealNext);
    knew.addEventListener("click", function () {
      mark("knew");
    });
    missed.addEventListener("click", function () {
      mark("missed");
    });
    missedOnly.addEventListener("change", restart);
    prev.addEventListener("click", function () {
      go(-1);
    });
    next.addEventListener("click", function () {
      go(1);
    });
    el("practice-shuffle").addEventListener("click", restart);

    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || section.hidden) return;
      var target = event.target;
      var tag = target && target.tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || tag === "SUMMARY") return;
      var control = tag === "BUTTON" || tag === "A";
      if ((event.key === " " || event.key === "Enter") && !control) {
        event.preventDefault();
        revealNext();
      } else if (event.key === "ArrowRight" || event.key === "j") {
        event.preventDefault();
        go(1);
      } else if (event.key === "ArrowLeft" || event.key === "k") {
        event.preventDefault();
        go(-1);
      }
    });

    S.loadIndex().then(
      function (loaded) {
        index = loaded;
        S.bindForm(filterForm, state, restart);
        restart();
        document.body.setAttribute("data-practice-ready", "true");
      },
      function (error) {
        empty.hidden = false;
        empty.textContent = word("site.js.index_failed", { error: error.message });
      }
    );
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
