"""DuckDB's side of the seat benchmark (benches/seats.rs).

Loads the benchmark's logins (a CSV of user_id,at_us: the same user names the
engine gets, and microseconds since the Unix epoch) into an in-memory DuckDB
database, says "ready", then answers each "run NAME" line on stdin by running
the query NAME (one of QUERIES) once and printing its time in nanoseconds and
the 12 monthly counts, so that the benchmark can time it and check it agrees.

Both queries are the seed's rule for an account in Europe/Berlin with Monday
weeks and the term 2026-01-01..2027-01-01, with no lifecycle changes (the
benchmark has none): a user's activation is their first login at which the
logins so far cover 3 distinct weeks and number 3 or more, and a user counts in
every month from the month of their activation to the end of the term.

- "monthly_sql" says that directly: each login's week by converting it to
  Berlin time, then two window functions over all logins.
- "expert_sql" is what someone who knows DuckDB writes. With at least one login
  per week needed, a user's third login can come no later than the first login
  of their third week, so the activation is that first login. Each login is
  placed in its local week by integer arithmetic: its UTC instant in
  microseconds plus the zone's offset, chosen by a CASE over the term's
  daylight-saving transitions (generated below from the zone), then a GROUP BY
  keeps the first login per user and week, and only those weeks are numbered.
"""

import sys
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb

ZONE = ZoneInfo("Europe/Berlin")
TERM_START = datetime(2026, 1, 1, tzinfo=ZONE)
TERM_END = datetime(2027, 1, 1, tzinfo=ZONE)
DAY_US = 86_400_000_000
# 1970-01-01 was a Thursday: Monday weeks start 4 days after the epoch.
FIRST_MONDAY_US = 4 * DAY_US
WEEK_US = 7 * DAY_US

MONTHLY_SQL = """
WITH counted AS (
    SELECT user_id, logged_in_at, date_trunc('week', timezone('Europe/Berlin', logged_in_at)) AS week
    FROM logins
    WHERE timezone('Europe/Berlin', logged_in_at) >= TIMESTAMP '2026-01-01'
      AND timezone('Europe/Berlin', logged_in_at) < TIMESTAMP '2027-01-01'
),
numbered AS (
    SELECT user_id, logged_in_at,
           dense_rank() OVER (PARTITION BY user_id ORDER BY week) AS week_number,
           row_number() OVER (PARTITION BY user_id ORDER BY logged_in_at) AS login_number
    FROM counted
),
activations AS (
    SELECT user_id, min(logged_in_at) AS activated_at
    FROM numbered
    WHERE week_number >= 3 AND login_number >= 3
    GROUP BY user_id
),
months AS (
    SELECT range AS month
    FROM range(TIMESTAMP '2026-01-01', TIMESTAMP '2027-01-01', INTERVAL 1 MONTH)
)
SELECT months.month, count(activations.user_id) AS seats
FROM months
LEFT JOIN activations
  ON date_trunc('month', timezone('Europe/Berlin', activations.activated_at)) <= months.month
GROUP BY months.month
ORDER BY months.month
"""


def micros(instant: datetime) -> int:
    return int(instant.timestamp()) * 1_000_000


def offsets_in_term() -> list[tuple[int, int]]:
    """Each UTC offset the zone has during the term, with the instant it starts
    (both in microseconds), in order. Zones change their offset on a quarter
    hour, so a walk in quarter hours finds every change."""
    instant = TERM_START.astimezone(timezone.utc)
    end = TERM_END.astimezone(timezone.utc)
    found: list[tuple[int, int]] = []
    while instant < end:
        offset_us = int(instant.astimezone(ZONE).utcoffset().total_seconds()) * 1_000_000
        if not found or found[-1][1] != offset_us:
            found.append((micros(instant), offset_us))
        instant += timedelta(minutes=15)
    return found


def offset_case() -> str:
    """A CASE giving the zone's offset at `at_us`, latest transition first."""
    offsets = offsets_in_term()
    whens = " ".join(f"WHEN at_us >= {start} THEN {offset}" for start, offset in reversed(offsets[1:]))
    return f"CASE {whens} ELSE {offsets[0][1]} END"


EXPERT_SQL = f"""
WITH placed AS (
    SELECT user_id, at_us + {offset_case()} AS local_us
    FROM (SELECT user_id, epoch_us(logged_in_at) AS at_us FROM logins)
    WHERE at_us >= {micros(TERM_START)} AND at_us < {micros(TERM_END)}
),
weeks AS (
    SELECT user_id, (local_us - {FIRST_MONDAY_US}) // {WEEK_US} AS week, min(local_us) AS first_local_us
    FROM placed
    GROUP BY user_id, week
),
numbered AS (
    SELECT first_local_us, row_number() OVER (PARTITION BY user_id ORDER BY week) AS week_number
    FROM weeks
),
activations AS (
    SELECT date_trunc('month', make_timestamp(first_local_us)) AS month, count(*) AS activated
    FROM numbered
    WHERE week_number = 3
    GROUP BY month
)
SELECT months.month, coalesce(sum(activations.activated), 0) AS seats
FROM range(TIMESTAMP '2026-01-01', TIMESTAMP '2027-01-01', INTERVAL 1 MONTH) AS months(month)
LEFT JOIN activations ON activations.month <= months.month
GROUP BY months.month
ORDER BY months.month
"""

QUERIES = {"monthly_sql": MONTHLY_SQL, "expert_sql": EXPERT_SQL}


def main() -> None:
    csv_path = sys.argv[1]
    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(
        "CREATE TABLE logins AS "
        "SELECT user_id, make_timestamptz(at_us) AS logged_in_at "
        f"FROM read_csv('{csv_path}', header = true, columns = {{'user_id': 'VARCHAR', 'at_us': 'BIGINT'}})"
    )
    rows = connection.execute("SELECT count(*) FROM logins").fetchone()[0]
    print(f"ready {rows} duckdb {duckdb.__version__}", flush=True)
    for line in sys.stdin:
        command, _, name = line.strip().partition(" ")
        if command != "run" or name not in QUERIES:
            break
        started = time.perf_counter_ns()
        result = connection.execute(QUERIES[name]).fetchall()
        elapsed = time.perf_counter_ns() - started
        print(elapsed, " ".join(str(seats) for _, seats in result), flush=True)


if __name__ == "__main__":
    main()
