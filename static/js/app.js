// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  // With htmx present, forms that save on change hide their Save buttons.
  root.classList.toggle("htmx-on", typeof window.htmx !== "undefined");

  // --- Counters: a text box with data-limit shows how much of its limit is used. ----------
  function counterFor(box) {
    var limit = parseInt(box.getAttribute("data-limit"), 10);
    if (!limit || box.dataset.counted) return;
    box.dataset.counted = "1";
    var out = document.createElement("div");
    out.className = "form-text text-limit";
    out.setAttribute("aria-live", "polite");
    box.insertAdjacentElement("afterend", out);
    function update() {
      var used = box.value.length;
      var over = used > limit;
      out.textContent = used.toLocaleString("en") + " / " + limit.toLocaleString("en") +
        " characters" + (over ? ": " + (used - limit).toLocaleString("en") + " too many" : "");
      out.classList.toggle("text-danger", over);
      box.classList.toggle("is-invalid", over);
    }
    box.addEventListener("input", update);
    update();
  }

  // --- Unsaved text: asked before leaving, kept in this browser until it is saved. ---------
  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "hidden" && el.type !== "submit" && el.type !== "button" &&
        el.name !== "csrfmiddlewaretoken";
    });
  }

  function valuesOf(form) {
    var values = {};
    fieldsOf(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        values[el.name] = values[el.name] || [];
        if (el.checked) values[el.name].push(el.value);
      } else if (el.multiple) {
        values[el.name] = Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; });
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }

  function restore(form, values) {
    fieldsOf(form).forEach(function (el) {
      if (!(el.name in values)) return;
      var value = values[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = value.indexOf(el.value) !== -1;
      } else if (el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = value.indexOf(o.value) !== -1; });
      } else {
        el.value = value;
      }
      el.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  // The hidden fields that say which version the values were typed on (a section's revision
  // and signed base, an open row's): kept with the values, so that restored text is merged
  // with what others saved since, never put back over it.
  var OPENED = /(^|-)(base|section_revision|revision)$/;

  function openedOf(form) {
    var opened = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.type === "hidden" && el.name && OPENED.test(el.name)) opened[el.name] = el.value;
    });
    return opened;
  }

  function reopen(form, opened) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.type === "hidden" && el.name in opened && OPENED.test(el.name)) el.value = opened[el.name];
    });
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function guard(form) {
    var key = "postmortems:draft:" + form.getAttribute("data-draft");
    var saved = valuesOf(form);
    var submitting = false;
    var store = null;
    try { store = window.localStorage; } catch (e) { store = null; }

    function dirty() { return !same(valuesOf(form), saved); }

    function keep() {
      if (!store) return;
      try {
        if (dirty()) {
          store.setItem(key, JSON.stringify({
            at: new Date().toISOString(), values: valuesOf(form), opened: openedOf(form)
          }));
        } else {
          store.removeItem(key);
        }
      } catch (e) { /* storage full or refused: the leave warning still guards */ }
    }

    var timer = null;
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(keep, 300);
    });
    form.addEventListener("change", keep);
    form.addEventListener("submit", function () { submitting = true; keep(); });
    // An htmx row change (add, save, remove) keeps the section's own text where it is; the
    // rows it swapped in are the new saved state of the table.
    document.addEventListener("htmx:afterSwap", function () {
      var now = valuesOf(form);
      fieldsOf(form).forEach(function (el) {
        if (/^(new|row)-/.test(el.name)) saved[el.name] = now[el.name];
      });
      keep();
    });
    window.addEventListener("beforeunload", function (event) {
      if (submitting || !dirty()) return;
      event.preventDefault();
      event.returnValue = "";
    });

    // A draft left by a reload or a crashed tab: offered back, never applied unasked.
    if (!store) return;
    var draft = null;
    try { draft = JSON.parse(store.getItem(key) || "null"); } catch (e) { draft = null; }
    if (!draft || !draft.values) return;
    // A conflict page already shows what was typed, beside what was saved meanwhile.
    if (document.getElementById("conflict")) {
      store.removeItem(key);
      return;
    }
    if (same(Object.assign({}, saved, draft.values), saved)) {
      store.removeItem(key);
      return;
    }
    var box = document.getElementById("draft-restore");
    if (!box) return;
    var when = new Date(draft.at);
    box.textContent = "You have unsaved text in this section from " +
      (isNaN(when) ? "earlier" : when.toLocaleString()) + ". ";
    var take = document.createElement("button");
    take.type = "button";
    take.className = "btn btn-sm btn-primary me-2";
    take.textContent = "Restore it";
    var drop = document.createElement("button");
    drop.type = "button";
    drop.className = "btn btn-sm btn-outline-secondary";
    drop.textContent = "Discard it";
    take.addEventListener("click", function () {
      restore(form, draft.values);
      if (draft.opened) reopen(form, draft.opened);
      box.classList.add("d-none");
    });
    drop.addEventListener("click", function () {
      store.removeItem(key);
      box.classList.add("d-none");
    });
    box.appendChild(take);
    box.appendChild(drop);
    box.classList.remove("d-none");
  }

  // --- Enter in a row's box submits that row's own button, not the page's first. ----------
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key !== "Enter" || !el.closest || el.tagName === "TEXTAREA" || el.tagName === "BUTTON") return;
    var group = el.closest("[data-enter]");
    var button = group && group.querySelector("[data-enter-submit]");
    if (!button) return;
    event.preventDefault();
    button.click();
  });

  // --- A conflict: one click takes either version into the box. ---------------------------
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-take]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-take"));
    var into = document.getElementById(button.getAttribute("data-into"));
    if (!source || !into) return;
    into.value = source.hasAttribute("data-empty") ? "" : source.textContent;
    into.dispatchEvent(new Event("input", { bubbles: true }));
    into.focus();
  });

  // A region that scrolls sideways (a wide table on a phone) can be scrolled with the keyboard.
  function focusableScroll(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll(".table-responsive, .chart-scroll"), function (box) {
      if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
      if (!box.hasAttribute("role")) box.setAttribute("role", "region");
      // A name of its own, never a column's: a field's label must find only its field.
      if (!box.hasAttribute("aria-label")) box.setAttribute("aria-label", "Table, scrolls sideways");
    });
  }

  function enhance(scope) {
    focusableScroll(scope);
    Array.prototype.forEach.call(scope.querySelectorAll("textarea[data-limit]"), counterFor);
    var first = scope.querySelector("[data-autofocus] input:not([type=hidden]), [data-autofocus] select, [data-autofocus] textarea");
    if (first) first.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    // A long list folded to its summary line on a narrow screen (the editor's sections).
    Array.prototype.forEach.call(document.querySelectorAll("details[data-fold-below]"), function (fold) {
      if (window.innerWidth < parseInt(fold.getAttribute("data-fold-below"), 10)) fold.open = false;
    });
    enhance(document);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-guard]"), guard);
  });
  document.addEventListener("htmx:afterSwap", function () { enhance(document); });
})();
