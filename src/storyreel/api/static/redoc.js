// Starts ReDoc on /redoc. A file, not an inline script: the page's CSP allows only 'self'.
"use strict";
(function () {
  const root = document.getElementById("redoc");
  window.Redoc.init(root.dataset.spec, { hideDownloadButton: false }, root);
})();
