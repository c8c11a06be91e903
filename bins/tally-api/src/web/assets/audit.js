// The audit pages' behaviour (docs/web.md). The pages work without it: every
// column shows, every entry's changes show under it, and a filter rule is
// added one at a time. With it, columns can be hidden and reordered (kept in
// this browser's localStorage, per tab), changes open and close under a
// button, and rules are added and fitted to their field.
"use strict";

// ---- Columns: hide and reorder, remembered per tab --------------------------

function readColumnChoice(key) {
  try {
    const saved = JSON.parse(window.localStorage.getItem(key) || "null");
    if (saved && Array.isArray(saved.order) && Array.isArray(saved.hidden)) return saved;
  } catch (error) {
    // A choice that no longer reads is forgotten, not fatal.
  }
  return null;
}

function saveColumnChoice(key, choice) {
  try {
    window.localStorage.setItem(key, JSON.stringify(choice));
  } catch (error) {
    // Storage may be full or disabled: the choice then lasts for this page.
  }
}

// Moves the cells of `row` that name a column into `order`, after any that
// do not (the changes button), and hides those in `hidden`.
function arrangeRow(row, order, hidden) {
  const cells = new Map();
  for (const cell of row.querySelectorAll(":scope > [data-column]")) {
    cells.set(cell.dataset.column, cell);
  }
  for (const name of order) {
    const cell = cells.get(name);
    if (!cell) continue;
    row.appendChild(cell);
    cell.hidden = hidden.has(name);
  }
}

function setUpColumns(table, settings) {
  const key = table.dataset.columnsKey;
  const list = settings.querySelector("ol");
  const firstOrder = [...list.children].map((item) => item.dataset.column);
  const known = new Set(firstOrder);

  const current = () => {
    const order = [...list.children].map((item) => item.dataset.column);
    const hidden = [...list.querySelectorAll("input[type=checkbox]")]
      .filter((box) => !box.checked)
      .map((box) => box.value);
    return { order, hidden };
  };

  const apply = (choice) => {
    // Columns added since the choice was saved go at the end, shown.
    const order = choice.order.filter((name) => known.has(name));
    for (const name of firstOrder) if (!order.includes(name)) order.push(name);
    const hidden = new Set(choice.hidden.filter((name) => known.has(name)));
    // Never hide every column: a table without cells cannot be read.
    if (hidden.size >= order.length) hidden.clear();
    for (const name of order) {
      const item = list.querySelector(`li[data-column="${name}"]`);
      list.appendChild(item);
      item.querySelector("input[type=checkbox]").checked = !hidden.has(name);
    }
    for (const row of table.querySelectorAll("tr")) arrangeRow(row, order, hidden);
  };

  const changed = () => {
    const choice = current();
    saveColumnChoice(key, choice);
    apply(choice);
  };

  settings.hidden = false;
  const saved = readColumnChoice(key);
  if (saved) apply(saved);

  list.addEventListener("change", changed);
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-move]");
    if (!button) return;
    const item = button.closest("li");
    if (button.dataset.move === "up" && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
    } else if (button.dataset.move === "down" && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    }
    changed();
    button.focus();
  });
  settings.querySelector(".reset-columns").addEventListener("click", () => {
    try {
      window.localStorage.removeItem(key);
    } catch (error) {
      // Nothing saved to remove.
    }
    apply({ order: firstOrder, hidden: [] });
  });
}

// ---- Changes: a disclosure button per entry --------------------------------

function setUpChanges(root) {
  for (const button of root.querySelectorAll("button.expand[aria-controls]")) {
    const changes = document.getElementById(button.getAttribute("aria-controls"));
    if (!changes) continue;
    changes.hidden = true;
    button.hidden = false;
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      changes.hidden = !open;
      button.querySelector("[aria-hidden]").textContent = open ? "▾" : "▸";
    });
  }
}

// ---- Filter rules: fit the operators and suggestions to the field ----------

function fitRule(rule) {
  const field = rule.querySelector("select[name=field]");
  const operator = rule.querySelector("select[name=op]");
  const value = rule.querySelector("input[name=value]");
  const fit = () => {
    let firstAllowed = null;
    for (const option of operator.options) {
      const allowed = option.dataset.fields.split(" ").includes(field.value);
      option.disabled = !allowed;
      option.hidden = !allowed;
      if (allowed && !firstAllowed) firstAllowed = option;
    }
    if (operator.selectedOptions[0] && operator.selectedOptions[0].disabled && firstAllowed) {
      operator.value = firstAllowed.value;
    }
    // Suggestions of this field only.
    const listId = `rule-suggestions-${field.value}`;
    if (!document.getElementById(listId)) {
      const all = document.getElementById("rule-suggestions");
      const own = document.createElement("datalist");
      own.id = listId;
      if (all) {
        for (const option of all.querySelectorAll(`option[data-field="${field.value}"]`)) {
          own.appendChild(option.cloneNode(true));
        }
      }
      document.body.appendChild(own);
    }
    value.setAttribute("list", listId);
    value.placeholder = field.value === "date" ? "2026-12-01T00:00:00Z" : "";
  };
  field.addEventListener("change", fit);
  fit();
}

function setUpRules(form) {
  const list = form.querySelector(".rule-list");
  for (const rule of list.querySelectorAll("li.rule")) fitRule(rule);
  const add = form.querySelector(".add-rule");
  if (!add) return;
  add.hidden = false;
  add.addEventListener("click", () => {
    const template = list.lastElementChild;
    const rule = template.cloneNode(true);
    const number = list.children.length + 1;
    for (const control of rule.querySelectorAll("[id]")) {
      control.id = control.id.replace(/^rule-\d+-/, `rule-${number}-`);
    }
    for (const label of rule.querySelectorAll("label[for]")) {
      label.htmlFor = label.htmlFor.replace(/^rule-\d+-/, `rule-${number}-`);
    }
    for (const hidden of rule.querySelectorAll(".visually-hidden")) {
      hidden.textContent = hidden.textContent.replace(/\d+/, String(number));
    }
    const remove = rule.querySelector(".remove-rule");
    if (remove) remove.remove();
    rule.querySelector("input[name=value]").value = "";
    list.appendChild(rule);
    fitRule(rule);
    rule.querySelector("select").focus();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const table = document.querySelector("table[data-columns-key]");
  const settings = document.querySelector("details.column-settings");
  if (table && settings) setUpColumns(table, settings);
  setUpChanges(document);
  const rules = document.querySelector("form.rules");
  if (rules) setUpRules(rules);
});
