/* Search as you type, over search-index.js (built by compiler/backends/site/search.py).

   The tokenizer and query are the same as the Python reference: CJK runs become single
   characters (a one-character query) or overlapping bigrams, Latin runs become lower-case words,
   the last word of the query matches as a prefix while it is being typed. A question matches when
   it has every term; matches in the question count double. Filters (chapter, company, tag)
   combine with each other and with the query. The state lives in the URL (?q=&chapter=&company=&tag=),
   so a search can be bookmarked, shared and opened in practice mode. */
(function (global) {
  "use strict";

  var CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af";
  var WORD = "a-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff";
  var RUN = new RegExp("([" + CJK + "]+)|([" + WORD + "]+)", "g");
  var TITLE_WEIGHT = 2;
  var FACETS = ["chapter", "company", "tag"];

  function normalize(text) {
    return text.normalize("NFKC").toLowerCase();
  }

  /* [{text, prefix}] in query order, without repeats. */
  function queryTerms(query) {
    var normal = normalize(query);
    var terms = [];
    var seen = {};
    function add(text, prefix) {
      var k = text + (prefix ? "*" : "");
      if (seen[k]) return;
      seen[k] = true;
      terms.push({ text: text, prefix: prefix });
    }
    RUN.lastIndex = 0;
    var m;
    while ((m = RUN.exec(normal)) !== null) {
      var run = m[0];
      if (m[1] !== undefined) {
        if (run.length === 1) add(run, false);
        for (var i = 0; i + 1 < run.length; i++) add(run.slice(i, i + 2), false);
      } else {
        add(run, m.index + run.length === normal.length);
      }
    }
    return terms;
  }

  function postings(table, term) {
    var found = {};
    if (!term.prefix) {
      var docs = table[term.text] || [];
      for (var i = 0; i < docs.length; i++) found[docs[i]] = true;
      return found;
    }
    for (var key in table) {
      if (key.lastIndexOf(term.text, 0) === 0) {
        var list = table[key];
        for (var j = 0; j < list.length; j++) found[list[j]] = true;
      }
    }
    return found;
  }

  /* Document numbers matching every term, best first, ties in bank order. */
  function search(index, query) {
    var terms = queryTerms(query);
    if (!terms.length) return [];
    var scores = null;
    for (var t = 0; t < terms.length; t++) {
      var title = postings(index.title, terms[t]);
      var body = postings(index.body, terms[t]);
      var hits = {};
      var doc;
      for (doc in title) hits[doc] = TITLE_WEIGHT + (body[doc] ? 1 : 0);
      for (doc in body) if (!(doc in hits)) hits[doc] = 1;
      if (scores === null) {
        scores = hits;
      } else {
        var next = {};
        for (doc in scores) if (doc in hits) next[doc] = scores[doc] + hits[doc];
        scores = next;
      }
    }
    var out = Object.keys(scores).map(Number);
    out.sort(function (a, b) {
      return scores[b] - scores[a] || a - b;
    });
    return out;
  }

  function matchesFacets(doc, state) {
    if (state.chapter && doc.ch !== state.chapter) return false;
    if (state.company && doc.co.indexOf(state.company) < 0) return false;
    if (state.tag && doc.tg.indexOf(state.tag) < 0) return false;
    return true;
  }

  /* Document numbers for a state {q, chapter, company, tag}: search order, or bank order
     without a query. */
  function select(index, state) {
    var order;
    if (state.q && queryTerms(state.q).length) {
      order = search(index, state.q);
    } else {
      order = index.docs.map(function (_, i) {
        return i;
      });
    }
    return order.filter(function (i) {
      return matchesFacets(index.docs[i], state);
    });
  }

  function readState(params) {
    var state = { q: params.get("q") || "" };
    for (var i = 0; i < FACETS.length; i++) state[FACETS[i]] = params.get(FACETS[i]) || "";
    return state;
  }

  function stateQuery(state, extra) {
    var params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    for (var i = 0; i < FACETS.length; i++) if (state[FACETS[i]]) params.set(FACETS[i], state[FACETS[i]]);
    if (extra) for (var k in extra) params.set(k, extra[k]);
    var text = params.toString();
    return text ? "?" + text : "";
  }

  /* The index, as search-index.js left it (a <script src> before this one): a script loads from
     file:// too, where a browser refuses to fetch a file. */
  function loadIndex() {
    var index = global.QBankIndex;
    if (index && index.docs) return Promise.resolve(index);
    return Promise.reject(new Error("search-index.js"));
  }

  /* A form of the filter macro (q + three selects) bound to a state object. */
  function bindForm(form, state, onChange) {
    var prefix = form.id + "-";
    var q = document.getElementById(prefix + "q");
    var composing = false;
    q.value = state.q;
    FACETS.forEach(function (name) {
      var select = document.getElementById(prefix + name);
      select.value = state[name];
      if (select.value !== state[name]) state[name] = ""; // unknown value in the URL
      select.addEventListener("change", function () {
        state[name] = select.value;
        onChange();
      });
    });
    // Chinese input methods compose a character from Latin keys: search when it is committed.
    q.addEventListener("compositionstart", function () {
      composing = true;
    });
    q.addEventListener("compositionend", function () {
      composing = false;
      state.q = q.value;
      onChange();
    });
    q.addEventListener("input", function (event) {
      if (composing || event.isComposing) return;
      state.q = q.value;
      onChange();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      state.q = q.value;
      onChange();
    });
  }

  function searchPage() {
    var word = global.QBankSite.word; // site.js: the words of the bank's language
    var form = document.getElementById("search");
    var list = document.getElementById("results");
    if (!form || !list) return;
    var count = document.getElementById("result-count");
    var empty = document.getElementById("no-results");
    var practice = document.getElementById("practice-link");
    var items = {};
    var children = list.children;
    for (var i = 0; i < children.length; i++) items[children[i].getAttribute("data-id")] = children[i];
    var state = readState(new URLSearchParams(location.search));

    loadIndex().then(
      function (index) {
        function update() {
          var found = select(index, state);
          var shown = {};
          var fragment = document.createDocumentFragment();
          for (var i = 0; i < found.length; i++) {
            var id = index.docs[found[i]].id;
            shown[id] = true;
            items[id].hidden = false;
            fragment.appendChild(items[id]);
          }
          for (var other in items) {
            if (!shown[other]) {
              items[other].hidden = true;
              fragment.appendChild(items[other]);
            }
          }
          list.appendChild(fragment);
          var filtered = state.q || state.chapter || state.company || state.tag;
          count.textContent = word(filtered ? "site.js.found" : "site.js.total", { n: found.length });
          empty.hidden = found.length > 0;
          practice.hidden = found.length === 0;
          practice.setAttribute("href", "practice.html" + stateQuery(state));
          history.replaceState(null, "", location.pathname + stateQuery(state));
        }
        bindForm(form, state, update);
        update();
        document.body.setAttribute("data-search-ready", "true");
      },
      function (error) {
        count.textContent = word("site.js.search_index_failed", { error: error.message });
      }
    );
  }

  var api = {
    normalize: normalize,
    queryTerms: queryTerms,
    search: search,
    select: select,
    readState: readState,
    stateQuery: stateQuery,
    loadIndex: loadIndex,
    bindForm: bindForm,
    FACETS: FACETS
  };
  if (typeof module === "object" && module.exports) module.exports = api;
  else global.QBankSearch = api;

  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", searchPage);
    else searchPage();
  }
})(typeof window !== "undefined" ? window : globalThis);
