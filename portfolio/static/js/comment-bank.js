/*
 * The comment bank on the marking page (templates/assessment/mark.html).
 *
 * Progressive enhancement: without this script each saved comment is plain text under its
 * comment box, to select and copy. With it, each gets a "Use" button that puts the text in the
 * box: into an empty box as it is, or after what is already typed, on a new line, so nothing
 * the assessor wrote is lost. Focus then moves to the box, at the end of the text, ready to
 * adapt the wording to this learner.
 */
(function () {
  "use strict";

  var buttons = document.querySelectorAll("button[data-use-comment]");
  Array.prototype.forEach.call(buttons, function (button) {
    var box = document.getElementById(button.getAttribute("data-use-comment"));
    var source = button.parentNode.querySelector(".comment-bank-text");
    if (!box || !source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      var typed = box.value.replace(/\s+$/, "");
      box.value = typed ? typed + "\n" + text : text;
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    });
  });
})();
