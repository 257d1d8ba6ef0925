// Display conditions: a question with a condition shows only when the earlier
// answer it names is one of its values. Without this script every question is
// on the page and the server drops answers to questions whose condition is unmet.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) return;
  var conditional = form.querySelectorAll("[data-show-question]");
  function chosen(name) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name === name && el.checked;
    }).map(function (el) { return el.value; });
  }
  function update() {
    Array.prototype.forEach.call(conditional, function (q) {
      var wanted = q.dataset.showAny.split(" ");
      var show = chosen(q.dataset.showQuestion).some(function (v) { return wanted.indexOf(v) >= 0; });
      q.classList.toggle("hidden-by-condition", !show);
      Array.prototype.forEach.call(q.querySelectorAll("input, textarea, select"), function (el) {
        el.disabled = !show;  // disabled fields are not sent
      });
      Array.prototype.forEach.call(q.querySelectorAll(".cond"), function (el) { el.hidden = true; });
    });
  }
  form.addEventListener("change", update);
  update();
})();
