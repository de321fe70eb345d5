// Tell require.js where the ipywidgets HTML manager lives (loaded next, from _static/vendor), so the
// fonts its bundle refers to are fetched from beside it rather than from a path below the page.
(function () {
  var root = new URL(document.documentElement.dataset.content_root || "./", window.location.href);
  window.require.config({
    paths: {"@jupyter-widgets/html-manager/dist": new URL("_static/vendor/html-manager", root).href}
  });
})();
