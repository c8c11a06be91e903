"""DuckDB's side of the seat benchmark (benches/seats.rs).

Loads the benchmark's logins (a CSV of user_id,at_us: the same user names the
engine gets, and microseconds since the Unix epoch) into an in-memory DuckDB
database, says "ready", then answers each "run" line on stdin by running the
monthly active seats query once and printing its time in nanoseconds and the 12
monthly counts, so that the benchmark can time it and check it agrees.

The query is the seed's rule for an account in Europe/Berlin with Monday weeks and
the term 2026-01-01..2027-01-01, with no lifecycle changes (the benchmark has
none): a user's activation is their first login at which the logins so far cover
3 distinct weeks and number 3 or more, and a user counts in every month from the
month of their activation to the end of the term.
"""

import sys
import time

import duckdb

QUERY = """
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
        if line.strip() != "run":
            break
        started = time.perf_counter_ns()
        result = connection.execute(QUERY).fetchall()
        elapsed = time.perf_counter_ns() - started
        print(elapsed, " ".join(str(seats) for _, seats in result), flush=True)


if __name__ == "__main__":
    main()
