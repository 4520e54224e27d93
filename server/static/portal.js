// The portal's one script, a progressive enhancement: the "show password" checkbox beside a password
// field. Without it every page works the same; the checkbox just stays hidden.
"use strict";
for (const box of document.querySelectorAll("input[data-reveal]")) {
  const field = document.getElementById(box.dataset.reveal);
  if (!field) continue;
  box.closest(".reveal").hidden = false;
  box.addEventListener("change", () => {
    field.type = box.checked ? "text" : "password";
  });
}
