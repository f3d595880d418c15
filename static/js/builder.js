// The record browser's form is redrawn by the server (after a change of property or operator, or when
// the records are shown). What the user typed after that request left is put back into the redrawn
// fields (matched by id), so no keystroke is lost to the swap.
"use strict";

const typed = new Map(); // field id -> {value, at}

document.addEventListener("input", (event) => {
  const field = event.target;
  if (!field.id || !field.closest("#browser-form")) return;
  typed.set(field.id, { value: field.type === "checkbox" ? field.checked : field.value, at: performance.now() });
});

document.addEventListener("htmx:beforeRequest", (event) => {
  event.detail.xhr.startedAt = performance.now();
});

document.addEventListener("htmx:afterSwap", (event) => {
  const startedAt = event.detail.xhr && event.detail.xhr.startedAt;
  if (startedAt === undefined) return;
  typed.forEach((entry, id) => {
    if (entry.at < startedAt) {
      typed.delete(id); // the request carried it: the server's answer shows it
      return;
    }
    const field = document.getElementById(id);
    if (!field) return;
    if (field.type === "checkbox") field.checked = entry.value;
    else field.value = entry.value;
  });
});
