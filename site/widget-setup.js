// Loaded after require.js and before the ipywidgets HTML manager (site/offline_site.py).
(function () {
  // 1. Tell require.js where the manager lives (_static/vendor), so the fonts its bundle refers to
  //    are fetched from beside it rather than from a path below the page.  The bundle's modules
  //    (@jupyter-widgets/controls, ...) each derive the fonts' folder from their own module path.
  var root = new URL(document.documentElement.dataset.content_root || "./", window.location.href);
  var manager = new URL("_static/vendor/html-manager", root).href;
  window.require.config({
    paths: {"@jupyter-widgets/html-manager/dist": manager, "@jupyter-widgets": manager}
  });
  // 2. The manager typesets widget labels with MathJax 2's MathJax.Hub.Queue; the pages load
  //    MathJax 3, which has no Hub.  Give it one that hands the element to MathJax 3.
  window.addEventListener("load", function () {
    var mathjax = window.MathJax;
    if (!mathjax || mathjax.Hub) return;
    mathjax.Hub = {
      Queue: function (job) {
        var element = job && job[2];
        if (element && mathjax.startup && mathjax.startup.promise) {
          mathjax.startup.promise.then(function () { return mathjax.typesetPromise([element]); });
        }
      }
    };
  });
})();
