"""Opens dashboard workbooks written by `tally-export dashboard --format xlsx`
with openpyxl, an independent reader, and checks that each sheet the seed draws
as a graph holds a native chart of the expected type whose series ranges hold
the table's figures: a chart in wide form draws the table's own column, a chart
in long form draws the block under the table, which must equal the table's rows
summed by category and series (recomputed here).

Usage: check_dashboard_charts.py XLSX... (each named after its tab)"""

import re
import sys
from collections import defaultdict

import openpyxl

# Sheet title -> the chart type openpyxl reads back, and its grouping for bars.
EXPECTED = {
    "Monthly active seats": ("lineChart", None),
    "Total monthly automation runs": ("barChart", "stacked"),
    "Total monthly action runs": ("barChart", "stacked"),
    "Entities by blueprint": ("pieChart", None),
    "AI invocations by source": ("pieChart", None),
    "Monthly MCP calls": ("lineChart", None),
}

RANGE = re.compile(r"^'?(?P<sheet>.+?)'?!\$(?P<c1>[A-Z]+)\$(?P<r1>\d+)(?::\$(?P<c2>[A-Z]+)\$(?P<r2>\d+))?$")


def fail(message):
    sys.exit(f"dashboard charts: {message}")


def cells(workbook, reference):
    match = RANGE.match(reference)
    if not match:
        fail(f"cannot read the range {reference!r}")
    sheet = workbook[match["sheet"]]
    first, last = int(match["r1"]), int(match["r2"] or match["r1"])
    column = match["c1"]
    return first, [sheet[f"{column}{row}"].value for row in range(first, last + 1)]


def table_rows(sheet):
    """The table's header and its rows: up to the first empty row."""
    header = [cell.value for cell in sheet[1]]
    rows = []
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if all(value is None for value in row):
            break
        rows.append(row)
    return header, rows


seen = set()
for path in sys.argv[1:]:
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.worksheets:
        charts = sheet._charts
        if sheet.title in EXPECTED and not charts:
            fail(f"{path}: sheet {sheet.title!r} has no chart")
        for chart in charts:
            kind = chart.tagname
            grouping = getattr(chart, "grouping", None)
            if sheet.title in EXPECTED:
                want_kind, want_grouping = EXPECTED[sheet.title]
                if kind != want_kind or (want_grouping and grouping != want_grouping):
                    fail(f"{path}: {sheet.title!r} is a {kind} ({grouping}), not {want_kind} ({want_grouping})")
                seen.add(sheet.title)
            header, rows = table_rows(sheet)
            for series in chart.series:
                first, values = cells(workbook, series.val.numRef.f)
                _, categories = cells(workbook, series.cat.strRef.f if series.cat.strRef else series.cat.numRef.f)
                if len(values) != len(categories):
                    fail(f"{sheet.title!r}: {len(values)} values for {len(categories)} categories")
                if first == 2:
                    # Wide form: the table's own rows.
                    if len(values) != len(rows):
                        fail(f"{sheet.title!r}: the series covers {len(values)} of {len(rows)} rows")
                    continue
                # Long form: the block under the table, named "Chart data: VALUE by SERIES".
                name_row = first - 2
                named = sheet[f"A{name_row}"].value or ""
                match = re.match(r"^Chart data: (?P<value>.+) by (?P<series>.+)$", named)
                if not match:
                    fail(f"{sheet.title!r}: no chart data block above row {first}: {named!r}")
                category_index = header.index(sheet[f"A{first - 1}"].value)
                value_index = header.index(match["value"])
                series_index = header.index(match["series"])
                series_name = cells(workbook, series.tx.strRef.f)[1][0]
                sums = defaultdict(float)
                for row in rows:
                    if row[series_index] == series_name and row[value_index] is not None:
                        sums[row[category_index]] += row[value_index]
                for category, value in zip(categories, values):
                    expected = sums.get(category)
                    if (value is None) != (expected is None) or (value is not None and abs(value - expected) > 1e-9):
                        fail(f"{sheet.title!r}, {series_name}, {category}: chart data {value}, table rows sum to {expected}")
missing = set(EXPECTED) - seen
if missing:
    fail(f"no chart read for {sorted(missing)}")
print(f"dashboard charts: {len(seen)} charts read back, types and figures as the tables say")
