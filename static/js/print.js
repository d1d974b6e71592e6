// The print view's button: open the browser's print dialog (Save as PDF). No inline script.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
