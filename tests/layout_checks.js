/* Layout checks run on a rendered page (an Anki card, an EPUB page in a reader), read from the
   boxes the browser laid out. `qbLayout.check(root)` returns a list of problems, as text;
   `qbLayoutFor(frame.contentWindow)` checks a page inside a frame (readers run no script there). */
window.qbLayoutFor = function (win) {
  var document = win.document;
  var getComputedStyle = win.getComputedStyle.bind(win);
  var CLOSING = "，、。．,.:;：；！？!?）)］]｝}〕〉》」』】〙〗〟’”｠»・…‥%％";
  var ATOMIC = { svg: 1, "mjx-container": 1, img: 1 };
  var blocks = new Map();

  function blockOf(node) {
    var el = node.nodeType === 1 ? node.parentElement : node.parentElement;
    while (el && !blocks.has(el)) {
      var d = getComputedStyle(el).display;
      if (d.indexOf("inline") !== 0 && d !== "contents") break;
      el = el.parentElement;
    }
    return el;
  }

  function charRect(text, i) {
    var r = document.createRange();
    r.setStart(text, i);
    r.setEnd(text, i + 1);
    var rects = r.getClientRects();
    return rects.length ? rects[0] : null;
  }

  function lastInside(e) {
    while (e.lastChild) e = e.lastChild;
    return e;
  }

  function visibleRect(el) {
    var rects = el.getClientRects();
    return rects.length && rects[0].width > 0 ? rects[0] : null;
  }

  /* A line that starts with closing punctuation, right after a line break (not a block's start). */
  function punctuationAtLineStart(root, out) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
      acceptNode: function (n) {
        if (n.nodeType === 1) {
          if (n.localName === "pre" || n.localName === "script" || n.localName === "style") return NodeFilter.FILTER_REJECT;
          return ATOMIC[n.localName] ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP;
        }
        return NodeFilter.FILTER_ACCEPT;
      },
    });
    /* the item before: an element (a formula, an image) or a character of a text node */
    var prevEl = null, prevText = null, prevIndex = 0, prevBlock = null;
    function prevRect() {
      return prevEl ? visibleRect(prevEl) : charRect(prevText, prevIndex);
    }
    function prevWords() {
      if (prevEl) return "[" + (prevEl.getAttribute("aria-label") || prevEl.localName) + "]";
      return prevText.data.slice(Math.max(0, prevIndex - 12), prevIndex + 1);
    }
    var node;
    while ((node = walker.nextNode())) {
      if (node.nodeType === 1) {
        prevEl = node;
        prevBlock = blockOf(node);
        walker.currentNode = lastInside(node); /* a formula is one box: its inside is not text */
        continue;
      }
      var data = node.data, block = null, first = true;
      for (var i = 0; i < data.length; i++) {
        var ch = data.charCodeAt(i);
        if (ch <= 32 || ch === 0x2060 || ch === 0xa0) continue;
        /* Between two characters of one text the engine keeps the rules itself; where it fails
           is after a box (a formula, an image) and at an element's edge: only there is measured. */
        if ((first || prevEl) && CLOSING.indexOf(data[i]) >= 0 && (prevEl || prevText)) {
          block = block || blockOf(node);
          if (prevBlock === block) {
            var p = charRect(node, i), q = prevRect();
            if (p && q && p.width > 0) {
              var sameLine = p.top < q.bottom - 1 && p.bottom > q.top + 1 && p.left >= q.right - 4;
              if (!sameLine) out.push("line starts with '" + data[i] + "' after " + prevWords());
            }
          }
        }
        if (first || prevEl) {
          block = block || blockOf(node);
          prevBlock = block;
        }
        first = false;
        prevEl = null;
        prevText = node;
        prevIndex = i;
      }
    }
  }

  function name(el) {
    return el.localName + (el.className && el.className.baseVal === undefined && el.className ? "." + el.className : "")
      + (el.getAttribute("aria-label") ? " " + el.getAttribute("aria-label").slice(0, 50) : "");
  }

  /* Every element (and every formula) inside the box of its block ancestor: nothing wider than
     its column, no formula across the border of the box around it. A block split over columns
     or pages has one box per fragment: the element must be inside one of them. */
  function outsideItsBox(root, out) {
    /* elements in document order; the inside of a formula, of a scroll box and of hidden
       elements is not visited */
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT, {
      acceptNode: function (n) {
        if (n.localName === "script" || n.localName === "style" || n.localName === "mjx-assistive-mml") {
          return NodeFilter.FILTER_REJECT;
        }
        return NodeFilter.FILTER_ACCEPT;
      },
    });
    var el;
    while ((el = walker.nextNode())) {
      var cs = getComputedStyle(el);
      if (cs.display === "none") { walker.currentNode = lastInside(el); continue; }
      var atomic = ATOMIC[el.localName];
      if (cs.display.indexOf("inline") !== 0 || atomic) check(el);
      var o = cs.overflowX;
      if (atomic || o === "auto" || o === "scroll" || o === "hidden") walker.currentNode = lastInside(el);
    }
    function check(el) {
      var r = visibleRect(el);
      if (!r) return;
      var parent = el.parentElement;
      while (parent && parent !== root && getComputedStyle(parent).display.indexOf("inline") === 0) {
        parent = parent.parentElement;
      }
      if (!parent || parent === document.documentElement || !root.contains(parent) && parent !== root) return;
      var ps = getComputedStyle(parent);
      var bl = parseFloat(ps.borderLeftWidth) || 0, br = parseFloat(ps.borderRightWidth) || 0;
      var boxes = parent.getClientRects(), inside = false;
      for (var b = 0; b < boxes.length && !inside; b++) {
        inside = r.left >= boxes[b].left + bl - 1 && r.right <= boxes[b].right - br + 1;
      }
      if (boxes.length && !inside) {
        out.push(name(el) + " (" + Math.round(r.left) + "–" + Math.round(r.right) + ") outside its "
          + name(parent) + " (" + Math.round(boxes[0].left) + "–" + Math.round(boxes[0].right) + ")");
      }
    }
  }

  /* Display formulas drawn smaller than their natural size (SVG math is sized in em: its width
     attribute times its font size), as [scale, aria-label]: the reader shrank them to fit. */
  function shrunkFormulas(root) {
    var out = [];
    var svgs = root.querySelectorAll("svg.math-display");
    for (var i = 0; i < svgs.length; i++) {
      var natural = parseFloat(svgs[i].getAttribute("width")) * parseFloat(getComputedStyle(svgs[i]).fontSize);
      var r = visibleRect(svgs[i]);
      if (r && natural > 0 && r.width < natural - 0.5) out.push([r.width / natural, svgs[i].getAttribute("aria-label")]);
    }
    return out;
  }

  /* The smallest label of every SVG figure (an answer's <figure>, not the cover) as drawn, in CSS px: the smallest font-size of its
     <text> elements (inherited from their ancestors) times the figure's drawn scale. Figures whose
     text is drawn as paths (the plots) have no <text> and are not measured. */
  function figureLabels(root) {
    var imgs = root.querySelectorAll("figure img"), jobs = [];
    for (var i = 0; i < imgs.length; i++) {
      var img = imgs[i];
      if (!visibleRect(img)) continue; // an SVG or not, its source says (a reader may load it from a blob: URL)
      jobs.push(fetch(img.src).then(function (img) {
        return function (response) { return response.text().then(function (text) {
          var svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
          if (svg.localName !== "svg") return null;
          var box = (svg.getAttribute("viewBox") || "").split(/[\s,]+/).map(parseFloat);
          var units = box.length === 4 ? box[2] : parseFloat(svg.getAttribute("width"));
          var smallest = Infinity, texts = svg.querySelectorAll("text, tspan");
          for (var t = 0; t < texts.length; t++) {
            for (var e = texts[t]; e && e.getAttribute; e = e.parentNode) {
              if (e.getAttribute("font-size")) { smallest = Math.min(smallest, parseFloat(e.getAttribute("font-size"))); break; }
            }
          }
          if (smallest === Infinity) return null;
          return [smallest * visibleRect(img).width / units, img.getAttribute("alt") || img.getAttribute("src")];
        }); };
      }(img)));
    }
    return Promise.all(jobs).then(function (found) { return found.filter(Boolean); });
  }

  return {
    shrunkFormulas: shrunkFormulas,
    figureLabels: figureLabels,
    check: function (root) {
      var out = [];
      punctuationAtLineStart(root || document.body, out);
      outsideItsBox(root || document.body, out);
      return out;
    },
    punctuationAtLineStart: function (root) { var out = []; punctuationAtLineStart(root, out); return out; },
    outsideItsBox: function (root) { var out = []; outsideItsBox(root, out); return out; },
  };
};
window.qbLayout = window.qbLayoutFor(window);
