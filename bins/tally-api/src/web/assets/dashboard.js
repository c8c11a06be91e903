// The dashboard pages' behaviour (docs/web.md). The pages work without it.
"use strict";

// A filter left blank means "no filter": leave it out of the URL, so a shared
// link holds only the filters in force (the page ignores empty ones anyway).
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form.dashboard-filters")) {
    form.addEventListener("submit", () => {
      for (const field of form.querySelectorAll("input[name], select[name]")) {
        if (field.value.trim() === "") field.disabled = true;
      }
    });
  }
});

// Coming back to the page (the browser's back button) shows the fields again.
window.addEventListener("pageshow", () => {
  for (const field of document.querySelectorAll("form.dashboard-filters [disabled]")) {
    field.disabled = false;
  }
});
