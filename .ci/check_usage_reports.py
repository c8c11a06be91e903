"""Opens Usage Reports.zip with openpyxl, an independent reader, and checks
the seed's file names, sheets and columns, and that the Summary's numbers equal
those of the detail sheets. Usage: check_usage_reports.py ZIP"""

import io
import sys
import zipfile

import openpyxl

SHEETS = {
    "Summary": ["Metric", "Count"],
    "Unique User Count": ["System / Source", "Count", "Identifiers"],
    "Entity Type Count": ["System Pairs", "End System", "Entity Types", "Status", "Last Synced"],
    "Integrated Project Count": ["End System 1", "End System 2", "End System 1 Project",
                                 "End System 2 Project", "Status", "Last Updated", "Last Synced"],
    "Synced Data Count": ["End System 1", "End System 2", "Counts Based on System Pair", "Last Synced"],
    "Detailed User Report": ["Email", "Username", "Display Name", "Interaction Types", "Observed In",
                             "Service Account", "Last Seen", "Duplicates"],
}


def check(condition, message):
    if not condition:
        sys.exit(f"usage reports: {message}")


archive = zipfile.ZipFile(sys.argv[1])
names = archive.namelist()
check(names == ["Usage Report (Last 6 Months).xlsx", "Usage Report (Last 1 Year).xlsx"], f"files {names}")
for name in names:
    workbook = openpyxl.load_workbook(io.BytesIO(archive.read(name)), read_only=True)
    check(workbook.sheetnames == list(SHEETS), f"{name}: sheets {workbook.sheetnames}")
    rows = {sheet: list(workbook[sheet].iter_rows(values_only=True)) for sheet in SHEETS}
    for sheet, columns in SHEETS.items():
        header = iter(rows[sheet][0])
        for column in columns:
            check(any(str(found).startswith(column) for found in header),
                  f"{name}/{sheet}: no column {column!r} in order in {rows[sheet][0]}")
    summary = {metric: value for metric, value in rows["Summary"][1:]}
    users = summary["Total Unique Users"]
    check(users == len(rows["Detailed User Report"]) - 1, f"{name}: {users} users, detailed rows differ")
    breakdown = sum(summary[f"Identified by {rule}"]
                    for rule in ["Usernames or Emails", "Emails", "Display Names", "Usernames"])
    check(breakdown == users, f"{name}: the breakdown adds up to {breakdown}, not {users}")
    synced = sum(row[2] for row in rows["Synced Data Count"][1:])
    check(synced == summary["Total Entities Synced"], f"{name}: {synced} entities in the pairs")
    types = {row[2] for row in rows["Entity Type Count"][1:]}
    check(len(types) == summary["Total Unique Entity Types"], f"{name}: {len(types)} entity types")
    print(f"{name}: {users} unique users, {synced} entities synced, {len(types)} entity types: consistent")
