// Rows in bulk (templates/postmortems/editor/_paste.html): progressive enhancement only.
// The "Add N rows" button counts the rows still ticked, a time moved to the next day shows the
// time it will be saved at, and leaving the page with text pasted since it loaded (not added)
// asks first. The preview itself is htmx (hx-post on the box).
(function () {
  "use strict";
  var adding = false;

  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = input.closest ? input.closest(".paste-form") : null;
    if (!form) return;
    if (input.classList.contains("paste-take")) {
      var count = form.querySelectorAll(".paste-take:checked").length;
      var button = form.querySelector(".paste-add");
      if (button) {
        button.textContent = "Add " + count + " row" + (count === 1 ? "" : "s");
        button.disabled = count === 0;
      }
      input.closest("tr").classList.toggle("paste-skip", !input.checked);
    } else if (input.classList.contains("paste-nextday")) {
      var when = input.closest("td").querySelector(".paste-when");
      if (when) when.textContent = input.checked ? when.dataset.shifted : when.dataset.typed;
    }
  });

  document.addEventListener("submit", function (event) {
    if (event.target.classList && event.target.classList.contains("paste-form")) adding = true;
  }, true);

  window.addEventListener("beforeunload", function (event) {
    var box = document.getElementById("paste-text");
    if (adding || !box || !box.value.trim() || box.value === box.defaultValue) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
