// Behaviour every page shares. The pages work without it; it adds what only
// the browser knows (the viewer's time zone) and small conveniences.
"use strict";

// Instants are written in UTC; show each in the viewer's own time zone, named.
function showLocalTimes(root) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  for (const element of root.querySelectorAll("time[data-local]")) {
    const instant = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(instant.getTime())) continue;
    element.textContent = format.format(instant);
    element.title = `${element.getAttribute("datetime")} (shown in ${zone})`;
  }
  for (const element of root.querySelectorAll("[data-local-zone]")) {
    element.textContent = zone;
  }
}

// Close an open menu when another opens or Escape is pressed.
function closeMenus(except) {
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    if (menu !== except) menu.removeAttribute("open");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  showLocalTimes(document);
  for (const menu of document.querySelectorAll("details.menu")) {
    menu.addEventListener("toggle", () => { if (menu.open) closeMenus(menu); });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeMenus(null);
  });
});

window.tally = { showLocalTimes };
