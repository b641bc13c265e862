// Keyboard: j / k next and previous paper, l like, d dislike, o open, / search.
// Keys typed into a field, or with Ctrl, Alt or Meta, are left to the browser.
(function () {
  "use strict";
  var current = -1;
  function papers() { return Array.prototype.slice.call(document.querySelectorAll("article.paper")); }
  function select(index) {
    var all = papers();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (paper, i) { paper.classList.toggle("current", i === current); });
    all[current].scrollIntoView({block: "nearest"});
    all[current].focus({preventScroll: true});
  }
  function press(selector) {
    var paper = papers()[current];
    var button = paper && paper.querySelector(selector);
    if (!button) { return; }
    // A form htmx has just swapped in may not be processed yet: a click then would post it
    // as a plain form. process() is a no-op on a form htmx already handles.
    if (window.htmx && button.form) { window.htmx.process(button.form); }
    button.click();
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) { return; }
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName))) {
      if (event.key === "Escape" && target.blur) { target.blur(); }
      return;
    }
    var paper = papers()[current];
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "l": press("button.like"); break;
      case "d": press("button.dislike"); break;
      case "o":
        var link = paper && paper.querySelector(".title a");
        if (link) { window.location.assign(link.href); }
        break;
      case "/":
        var box = document.getElementById("search-q") || document.getElementById("quick-q");
        if (box) { box.focus(); box.select(); }
        break;
      default: return;
    }
    event.preventDefault();
  });
}());
