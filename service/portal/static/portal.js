// Progressive enhancement only: every form works without this script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Evidence: hash the chosen file in the browser (Web Crypto); the file is never sent.
  for (const input of document.querySelectorAll("input[data-sha256-into]")) {
    input.addEventListener("change", async () => {
      const target = document.getElementById(input.dataset.sha256Into);
      const file = input.files && input.files[0];
      if (!file || !target || !window.crypto || !crypto.subtle) return;
      const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
      target.value = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
      target.dispatchEvent(new Event("input"));
    });
  }
  // Irreversible actions ask once more.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});
