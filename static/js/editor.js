// Record editor: typing a value for a property that is set to null or absent sets it to "Value", so
// what was typed is not ignored. Without this script the state stays as chosen and the review shows it.
"use strict";

document.addEventListener("input", (event) => {
  const input = event.target;
  const name = input.name || "";
  const match = name.match(/^(value|space|xid):(.+)$/);
  if (!match) return;
  const state = input.form && input.form.elements.namedItem(`state:${match[2]}`);
  if (state && state.value !== "value") state.value = "value";
});
