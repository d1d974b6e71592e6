/* Attachments on the Supporting step: copy an image's Markdown, or insert it into a text of the
   page (the one last written in, else the first). Without JavaScript the Markdown stands in a
   read-only box to copy by hand. */
(function () {
  "use strict";
  let lastText = null;

  // "Insert in text" only where there is a text to insert into (not on the upload's own page).
  if (!document.querySelector("textarea[data-markdown]")) {
    document.querySelectorAll("[data-insert-markdown]").forEach(function (button) {
      button.hidden = true;
    });
  }

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-markdown]")) {
      lastText = event.target;
    }
  });

  function say(button, text) {
    const label = button.textContent;
    button.textContent = text;
    window.setTimeout(function () { button.textContent = label; }, 1500);
  }

  function insert(box, markdown) {
    const start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? start;
    const before = box.value.slice(0, start);
    const gap = before && !before.endsWith("\n") ? "\n" : "";
    box.value = before + gap + markdown + "\n" + box.value.slice(end);
    const caret = (before + gap + markdown + "\n").length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    const copy = event.target.closest("[data-copy-markdown]");
    const put = event.target.closest("[data-insert-markdown]");
    const button = copy || put;
    if (!button) return;
    const source = document.getElementById(button.dataset.copyMarkdown || button.dataset.insertMarkdown);
    if (!source) return;
    if (put) {
      const box = lastText && document.body.contains(lastText)
        ? lastText : document.querySelector("textarea[data-markdown]");
      if (box) {
        insert(box, source.value);
        say(button, "Inserted");
      } else {
        say(button, "No text on this page");
      }
      return;
    }
    source.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(
        function () { say(button, "Copied"); },
        function () { say(button, "Press Ctrl+C"); }
      );
    } else {
      say(button, "Press Ctrl+C");
    }
  });
})();
