// The monitor pages' behaviour (docs/web.md, "The usage monitor").
//
// The server renders every figure; this keeps Today live. Today's figures
// come from the API's server-sent events (/v1/monitor/today/events, which the
// session cookie authenticates), the top 10 lists are read again at each of
// those events, and the activity stream follows /v1/monitor/stream/events
// while "Auto refresh" is ticked. Text from the API is only ever set as text
// (textContent), never parsed as HTML.
"use strict";

// Items of the activity stream shown at most, as the server's first page.
const STREAM_ROWS = 50;

// The same words as the server's (web/monitor.rs `duration` and `since`).
function duration(secs) {
  if (secs < 60) return `${secs} s`;
  if (secs < 3600 && secs % 60 === 0) return `${secs / 60} min`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min ${secs % 60} s`;
  return `${Math.floor(secs / 3600)} h ${Math.floor((secs % 3600) / 60)} min`;
}

function since(secs) {
  if (secs <= 9) return "just now";
  if (secs < 60) return `${secs} s ago`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min ago`;
  return `${Math.floor(secs / 3600)} h ${Math.floor((secs % 3600) / 60)} min ago`;
}

// An element with attributes and children (text or elements).
function element(tag, attributes, ...children) {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== null && value !== undefined && value !== false) made.setAttribute(name, String(value));
  }
  for (const child of children) {
    made.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return made;
}

// Instants to the second, in the viewer's zone, named.
const secondsFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
});

function showSeconds(root) {
  for (const time of root.querySelectorAll("time[data-local-seconds]")) {
    const at = new Date(time.getAttribute("datetime"));
    if (Number.isNaN(at.getTime())) continue;
    time.textContent = secondsFormat.format(at);
    time.title = time.getAttribute("datetime");
  }
}

function secondsTime(iso) {
  const time = element("time", { datetime: iso, "data-local-seconds": "", title: iso }, iso);
  const at = new Date(iso);
  if (!Number.isNaN(at.getTime())) time.textContent = secondsFormat.format(at);
  return time;
}

// A change since the previous refresh, as the server writes it.
function showChange(paragraph, change, unit) {
  const show = (value) => (unit === "seconds" ? duration(value) : String(value));
  paragraph.replaceChildren();
  if (change === null || change === undefined) {
    paragraph.className = "change none";
    paragraph.removeAttribute("data-change");
    paragraph.append("no earlier refresh to compare with");
    return;
  }
  paragraph.setAttribute("data-change", String(change));
  if (change === 0) {
    paragraph.className = "change same";
    paragraph.append(element("span", { class: "arrow", "aria-hidden": "true" }, "= "),
      "no change since the previous refresh");
  } else if (change > 0) {
    paragraph.className = "change up";
    paragraph.append(element("span", { class: "arrow", "aria-hidden": "true" }, "▲ "),
      `up ${show(change)} since the previous refresh`);
  } else {
    paragraph.className = "change down";
    paragraph.append(element("span", { class: "arrow", "aria-hidden": "true" }, "▼ "),
      `down ${show(-change)} since the previous refresh`);
  }
}

function showFigure(card, figure) {
  const unit = card.dataset.unit;
  const value = card.querySelector(".figure");
  const shown = value.hasAttribute("data-value") ? Number(value.getAttribute("data-value")) : null;
  let change = figure.change;
  // A stream's first event has nothing of its own to compare with: the
  // change is then since what the page showed.
  if (change === null && shown !== null && figure.value !== null) change = figure.value - shown;
  if (figure.value === null) {
    value.removeAttribute("data-value");
    value.textContent = "none yet";
  } else {
    value.setAttribute("data-value", String(figure.value));
    value.textContent = unit === "seconds" ? duration(figure.value) : String(figure.value);
  }
  showChange(card.querySelector("[class^='change']"), change, unit);
}

// The top 10 lists, refilled from /v1/monitor/top.
const TOP_LISTS = {
  "top-accounts": (answer) => answer.accounts.map((row) => [[row.account], [row.users_seen_today, row.users_seen_today]]),
  "top-users": (answer) => answer.users.map((row) => [[row.user], [row.account], [duration(row.time_spent_secs), row.time_spent_secs]]),
  "top-modules": (answer) => answer.modules.map((row) => [[row.module], [row.users, row.users]]),
  "top-activities": (answer) => answer.activities.map((row) => [[row.module], [row.action], [row.actions, row.actions]]),
};

async function refreshTop() {
  const response = await fetch("/v1/monitor/top", { credentials: "same-origin" });
  if (!response.ok) return;
  const answer = await response.json();
  for (const [id, rowsOf] of Object.entries(TOP_LISTS)) {
    const table = document.getElementById(id);
    if (!table) continue;
    const rows = rowsOf(answer).map((cells, index) => element("tr", {},
      element("td", { class: "number" }, String(index + 1)),
      ...cells.map(([text, value]) => element("td",
        { class: value === undefined ? null : "number", "data-value": value }, String(text)))));
    table.tBodies[0].replaceChildren(...rows);
    const empty = table.closest("section").querySelector(".empty");
    if (empty) empty.hidden = rows.length > 0;
  }
}

// The relative times of the stream's rows, as of the figures' instant.
function refreshSinces(asOf) {
  const now = Date.parse(asOf);
  for (const row of document.querySelectorAll("#stream tr[data-last-at]")) {
    const secs = Math.max(0, Math.floor((now - Date.parse(row.dataset.lastAt)) / 1000));
    row.querySelector(".since").textContent = since(secs);
  }
}

function startToday() {
  const clock = document.getElementById("monitor-clock");
  if (!clock || !window.EventSource) return;
  const liveState = document.getElementById("live-state");
  const source = new EventSource("/v1/monitor/today/events");
  source.addEventListener("open", () => { liveState.textContent = "Live."; });
  source.addEventListener("error", () => {
    // The browser tries again after a lost connection, but not after a
    // refusal (a token revoked meanwhile): then only a reload helps.
    liveState.textContent = source.readyState === EventSource.CLOSED
      ? "Live updates stopped: reload the page."
      : "Live updates interrupted; reconnecting.";
  });
  source.addEventListener("today", (message) => {
    const answer = JSON.parse(message.data);
    for (const card of document.querySelectorAll(".monitor-figure[data-figure]")) {
      const figure = answer[card.dataset.figure];
      if (figure) showFigure(card, figure);
    }
    const users = document.querySelector("[data-users-with-activity]");
    if (users) {
      const count = answer.users_with_activity_today.value;
      users.textContent = String(count);
      document.querySelector("[data-users-noun]").textContent = count === 1 ? "user" : "users";
    }
    const asOf = document.querySelector("#as-of time");
    asOf.setAttribute("datetime", answer.as_of.at);
    showSeconds(clock);
    document.getElementById("as-of-day").textContent = answer.as_of.day;
    document.getElementById("as-of-zone").textContent = answer.as_of.zone;
    document.getElementById("online-window").textContent = duration(answer.as_of.online_window_secs);
    clock.dataset.at = answer.as_of.at;
    refreshSinces(answer.as_of.at);
    refreshTop().catch(() => { liveState.textContent = "The top 10 lists could not be read again."; });
  });
}

// An item of the activity stream, as the server renders it (web/monitor.rs
// `stream_row`).
function streamRow(item) {
  const status = item.online ? "online" : "offline";
  return element("tr", { "data-item": item.id, "data-last-at": item.last_at },
    element("td", {}, element("span", { class: "since" }, since(item.secs_since_last)),
      element("br"), secondsTime(item.last_at)),
    element("td", {}, item.user),
    element("td", {}, item.account),
    element("td", {}, item.module),
    element("td", { class: "number" }, String(item.count)),
    element("td", {}, element("ul", { class: "actions" },
      ...item.actions.map((action) => element("li", {}, `${action.action} ×${action.count}`)))),
    element("td", { class: "number", "data-value": item.time_spent_secs }, duration(item.time_spent_secs)),
    element("td", {}, element("span", { class: status },
      element("span", { class: "dot", "aria-hidden": "true" }), status)),
    element("td", {}, eventsButton(item.id)));
}

function eventsButton(id) {
  return element("button", {
    type: "button", class: "item-events quiet", "data-item": id,
    "aria-expanded": "false", "aria-controls": `events-${id}`,
  }, "Events");
}

function rowOrder(a, b) {
  const by = (name) => (a.dataset[name] < b.dataset[name] ? -1 : a.dataset[name] > b.dataset[name] ? 1 : 0);
  return Date.parse(b.dataset.lastAt) - Date.parse(a.dataset.lastAt) || by("item");
}

// Puts changed items in place, newest first, keeping the first STREAM_ROWS.
function showItems(items) {
  const body = document.querySelector("#stream tbody");
  for (const item of items) {
    for (const old of body.querySelectorAll("tr[data-item]")) {
      if (old.dataset.item === item.id) old.remove();
    }
    const detail = document.getElementById(`events-${item.id}`);
    if (detail) detail.remove();
    body.append(streamRow(item));
  }
  const rows = [...body.querySelectorAll("tr[data-item]")].sort(rowOrder);
  for (const row of rows.slice(STREAM_ROWS)) {
    const detail = document.getElementById(`events-${row.dataset.item}`);
    if (detail) detail.remove();
  }
  const kept = rows.slice(0, STREAM_ROWS).flatMap((row) => {
    const detail = document.getElementById(`events-${row.dataset.item}`);
    return detail ? [row, detail] : [row];
  });
  body.replaceChildren(...kept);
  const empty = document.querySelector(".monitor-stream .empty");
  if (empty) empty.hidden = kept.length > 0;
}

function startAutoRefresh() {
  const box = document.getElementById("auto-refresh");
  // A later page of the stream stays as it is.
  if (!box || new URLSearchParams(window.location.search).has("cursor")) return;
  box.closest("label").hidden = false;
  let source = null;
  box.addEventListener("change", () => {
    if (box.checked && !source) {
      source = new EventSource("/v1/monitor/stream/events");
      source.addEventListener("items", (message) => showItems(JSON.parse(message.data).items));
    } else if (!box.checked && source) {
      source.close();
      source = null;
    }
  });
}

// An item's events open in a row below it.
async function toggleEvents(button) {
  const row = button.closest("tr");
  const id = button.dataset.item;
  const open = document.getElementById(`events-${id}`);
  if (open) {
    open.remove();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  const cell = element("td", { colspan: row.cells.length }, "Reading the events…");
  const detail = element("tr", { class: "item-detail", id: `events-${id}` }, cell);
  row.after(detail);
  button.setAttribute("aria-expanded", "true");
  const response = await fetch(`/v1/monitor/stream/items/${encodeURIComponent(id)}/events`,
    { credentials: "same-origin" });
  if (!response.ok) {
    cell.textContent = `The events could not be read (${response.status}).`;
    return;
  }
  const answer = await response.json();
  const caption = `Events of ${row.cells[1].textContent} in ${row.cells[3].textContent} today, oldest first`;
  cell.replaceChildren(element("table", { class: "item-events-table" },
    element("caption", {}, caption),
    element("thead", {}, element("tr", {},
      ...["At", "Action", "Time spent", "Properties"].map((title) => element("th", { scope: "col" }, title)))),
    element("tbody", {}, ...answer.events.map((event) => element("tr", {},
      element("td", {}, secondsTime(event.at)),
      element("td", {}, event.action),
      element("td", { class: "number" }, duration(event.time_spent_secs)),
      element("td", {}, element("code", {}, JSON.stringify(event.properties))))))));
}

function startItemEvents() {
  const table = document.getElementById("stream");
  if (!table) return;
  // The links open the JSON without the script; with it, they become buttons.
  for (const link of table.querySelectorAll("a.item-events")) {
    link.replaceWith(eventsButton(link.dataset.item));
  }
  table.addEventListener("click", (event) => {
    const button = event.target.closest("button.item-events");
    if (button) toggleEvents(button).catch(() => {});
  });
}

document.addEventListener("DOMContentLoaded", () => {
  showSeconds(document);
  startToday();
  startAutoRefresh();
  startItemEvents();
});
