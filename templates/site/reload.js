/* Added to every page by `python -m compiler serve`, never written into build/.
   Polls the dev server; reloads when this page, a stylesheet, a script or the search index was
   rebuilt, or when build errors appear or go away (the server then shows or drops the overlay). */
(function () {
  "use strict";
  var script = document.currentScript;
  var since = Number(script && script.getAttribute("data-build")) || 0;
  var page = location.pathname;
  if (page.charAt(page.length - 1) === "/") page += "index.html";
  var INTERVAL = 300;

  function poll() {
    fetch("/__status?path=" + encodeURIComponent(page) + "&since=" + since, { cache: "no-store" })
      .then(function (response) {
        return response.json();
      })
      .then(function (status) {
        if (status.reload) {
          location.reload();
          return;
        }
        setTimeout(poll, INTERVAL);
      })
      .catch(function () {
        setTimeout(poll, 1000); // the server is restarting: keep trying, quietly
      });
  }
  setTimeout(poll, INTERVAL);
})();
