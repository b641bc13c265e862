// Renders TeX in paper titles, abstracts and arXiv comments (elements with class "tex") with
// KaTeX; everything else on the page (dollar amounts, say) is left alone. A formula KaTeX cannot
// read stays as typed.
(function () {
  "use strict";
  function render(root) {
    if (typeof renderMathInElement !== "function") { return; }
    root.querySelectorAll(".tex").forEach(function (element) {
      renderMathInElement(element, {
        delimiters: [
          {left: "$$", right: "$$", display: false},
          {left: "\\(", right: "\\)", display: false},
          {left: "\\[", right: "\\]", display: false},
          {left: "$", right: "$", display: false}
        ],
        throwOnError: false,
        ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option"]
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { render(document); });
}());
