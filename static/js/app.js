// Progressive enhancement only: every page works without this file.
// With htmx present, forms that save on change hide their Save buttons.
document.documentElement.classList.toggle("htmx-on", typeof window.htmx !== "undefined");
