"""Bad results databases: a URL that cannot work, a file that is not a database, a schema that is
behind or ahead — one line naming the database (password hidden) and the fix, never exit 3.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from driftwatch.store.database import HEAD_REVISION, migrations_dir
from tests.reliability.harness import BASE_CONFIG, Backend, Case, DbState, case_params

RUN = ("run", "--config", "{config}", "--database")
READERS = [
    ("report", ("report", "--database")),
    ("status", ("status", "--config", "{config}", "--database")),
    ("history", ("history", "--monitor", "m1", "--feature", "a", "--database")),
    ("alerts-list", ("alerts", "list", "--config", "{config}", "--database")),
    ("metrics", ("metrics", "--config", "{config}", "--database")),
    ("db-current", ("db", "current", "--database")),
]


def own(id: str, args: tuple[str, ...], message: str, **kwargs: object) -> Case:
    """A case that names its own database: run once, the matrix's database is not looked at."""
    return Case(id, 2, message, args=args, db=None, backends=("any",), **kwargs)  # type: ignore[arg-type]


URLS = [
    own(
        "sqlite-file-that-is-text",
        (*RUN, "sqlite:///{dir}/notes.txt"),
        r"'.*notes\.txt' is not a SQLite database \(the file holds something else\); point "
        r"--database at",
        files={"ref.csv": "", "notes.txt": "my shopping list\n" * 50},
    ),
    own(
        "sqlite-path-is-a-directory",
        (*RUN, "sqlite:///{dir}"),
        r"(is not a SQLite database|cannot reach the results database|is a directory)",
    ),
    own(
        "sqlite-folder-missing",
        (*RUN, "sqlite:///{dir}/no/such/folder/results.db"),
        r"folder '.*no/such/folder' does not exist; create it or fix --database",
    ),
    own(
        "port-not-a-number",
        (*RUN, "postgresql+psycopg://u:Pw123456@127.0.0.1:abc/db"),
        r"database URL 'postgresql\+psycopg://u:\*\*\*@127\.0\.0\.1:abc/db' has a port that is "
        r"not a number; fix --database",
        hidden=("Pw123456",),
    ),
    own(
        "port-not-a-number-in-the-config",
        ("run", "--config", "{config}"),
        r"has a port that is not a number; fix the 'database' key of .*driftwatch\.yaml",
        config=BASE_CONFIG.replace("{db}", "postgresql+psycopg://u@127.0.0.1:5x4/db"),
    ),
    own(
        "at-sign-in-the-password",
        (*RUN, "postgresql+psycopg://rtuser:cd@SecretTail9@127.0.0.1:5432/db"),
        r"'postgresql\+psycopg://rtuser:\*\*\*@127\.0\.0\.1:5432/db' has an '@' in its password"
        r".*percent-encode special characters in the password \(@ → %40, / → %2F",
        hidden=("SecretTail9", "cd@"),
    ),
    own(
        "at-sign-in-the-password-from-the-environment",
        ("run", "--config", "{config}"),
        r"has an '@' in its password",
        config=BASE_CONFIG.replace("{db}", "${DW_TEST_DB}"),
        env={"DW_TEST_DB": "postgresql+psycopg://rtuser:p@ss@word@127.0.0.1/db"},
        hidden=("ss@word", "p@ss"),
    ),
    own(
        "unreachable-server-hides-the-password",
        (*RUN, "postgresql+psycopg://user:S3cretPassw0rd@127.0.0.1:1/results"),
        r"cannot reach the results database 'postgresql\+psycopg://user:\*\*\*@127\.0\.0\.1:1/"
        r"results'.*check --database and that the server is running",
        hidden=("S3cretPassw0rd",),
    ),
    own(
        "password-in-the-query-string-is-hidden",
        (*RUN, "postgresql+psycopg://user@127.0.0.1:1/results?password=Qu3ryS3cret"),
        r"cannot reach the results database .*password=\*\*\*",
        hidden=("Qu3ryS3cret",),
    ),
    own(
        "unknown-driver",
        (*RUN, "mysql://u@h/db"),
        r"no database driver for 'mysql://u@h/db'",
    ),
    own(
        "not-a-url",
        (*RUN, "results.db"),
        r"database URL 'results\.db' is not a valid SQLAlchemy URL; use e\.g\. sqlite:///",
    ),
    own(
        "empty-url-in-the-config",
        ("run", "--config", "{config}"),
        r"database URL '' is not a valid SQLAlchemy URL",
        config=BASE_CONFIG.replace("{db}", "''"),
    ),
]

READ_ONLY = (
    [
        own(
            f"{name}-on-a-missing-sqlite-file",
            (*args, "sqlite:///{dir}/nothing-here.db"),
            r"no results database at '.*nothing-here\.db'; run `driftwatch run` first or fix "
            r"--database",
            absent_paths=("nothing-here.db",),
        )
        for name, args in READERS
        if name != "db-current"
    ]
    + [
        own(
            f"{name}-on-a-bad-port",
            (*args, "postgresql+psycopg://u@h:port/db"),
            r"has a port that is not a number; fix --database",
        )
        for name, args in READERS
    ]
    + [
        own(
            f"{name}-on-a-text-file",
            (*args, "sqlite:///{dir}/notes.txt"),
            r"notes\.txt' is not a SQLite database",
            files={"ref.csv": "", "notes.txt": "not a database\n" * 50},
        )
        for name, args in READERS
    ]
)

HEAD = HEAD_REVISION  # the schema this driftwatch writes: the cases follow new migrations
REVISIONS = sorted(p.name[:4] for p in (migrations_dir() / "versions").glob("[0-9]*.py"))

SCHEMA = [
    Case(
        "schema-behind",
        2,
        rf"is at schema revision 0003, behind this driftwatch's {HEAD}; run `driftwatch db upgrade "
        r"--config .*driftwatch\.yaml`",
        setup=(("db", "upgrade", "--database", "{db}", "--revision", "0003"),),
        db=DbState(),
    ),
    Case(
        "schema-behind-report",
        2,
        r"is at schema revision 0003, behind",
        args=("report", "--database", "{db}"),
        setup=(("db", "upgrade", "--database", "{db}", "--revision", "0003"),),
        db=DbState(),
    ),
    Case(
        "schema-from-a-newer-driftwatch",
        2,
        r"is at schema revision ffffffff, which this driftwatch does not know .*upgrade driftwatch",
        setup=(("db", "upgrade", "--database", "{db}"),),
        setup_sql=("UPDATE alembic_version SET version_num = 'ffffffff'",),
        db=DbState(),
    ),
    Case(
        "several-schema-revisions",
        2,
        rf"records several schema revisions \(0003, {HEAD}\) in alembic_version",
        setup=(("db", "upgrade", "--database", "{db}"),),
        setup_sql=("INSERT INTO alembic_version (version_num) VALUES ('0003')",),
        db=DbState(),
    ),
    Case(
        "tables-without-a-migration-record",
        2,
        r"has driftwatch tables but no migration record",
        setup=(("db", "upgrade", "--database", "{db}"),),
        setup_sql=("DROP TABLE alembic_version",),
        db=DbState(),
    ),
    Case(
        "report-on-an-empty-database",
        2,
        r"no driftwatch results in .*: the database is empty; run `driftwatch run --database URL`",
        args=("report", "--database", "{db}"),
        setup_sql=("CREATE TABLE unrelated (x INTEGER)",),
        db=DbState(),
    ),
    Case(
        "downgrade-to-an-unknown-revision",
        2,
        r"cannot migrate to revision 'zzz': can't locate revision identified by 'zzz'; choose one "
        rf"of: base, {', '.join(REVISIONS)}, head",
        args=("db", "downgrade", "zzz", "--database", "{db}"),
        setup=(("db", "upgrade", "--database", "{db}"),),
        db=DbState(),
    ),
    Case(
        "upgrade-to-an-unknown-revision",
        2,
        r"cannot migrate to revision '9999'",
        args=("db", "upgrade", "--revision", "9999", "--database", "{db}"),
        db=DbState(),
    ),
    Case(
        "downgrade-of-a-database-that-does-not-exist",
        2,
        r"no results database at",
        args=("db", "downgrade", "base", "--database", "sqlite:///{dir}/none.db"),
        db=None,
        backends=("any",),
        absent_paths=("none.db",),
    ),
    Case(
        "run-after-downgrade-to-base-migrates-again",
        0,
        setup=(
            ("db", "upgrade", "--database", "{db}"),
            ("db", "downgrade", "base", "--database", "{db}"),
        ),
        db=DbState(runs=("succeeded",)),
    ),
    Case(
        "rerun-of-the-same-window-replaces",
        0,
        setup=(("run", "--config", "{config}"),),
        db=DbState(runs=("succeeded", "succeeded")),
    ),
    Case(
        "database-option-overrides-a-bad-config-key",
        0,
        args=("run", "--config", "{config}", "--database", "{db}"),
        config=BASE_CONFIG.replace("{db}", "'postgresql://u@h:bad/x'"),
        db=DbState(runs=("succeeded",)),
    ),
]

# What an interrupted first run or `db upgrade` of a driftwatch whose SQLite migrations were not
# one transaction left: part of the schema, committed DDL statement by DDL statement.
FIRST_RUN_LEFT = (
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
    "CREATE TABLE reference_profiles (id INTEGER NOT NULL PRIMARY KEY)",
)
UPGRADE_LEFT = (
    "INSERT INTO runs (monitor, window_start, window_end, status, trigger, started_at) "
    "VALUES ('m1', '2024-01-01', '2024-01-02', 'succeeded', 'manual', '2024-01-02')",
    "CREATE VIEW feature_timeseries AS SELECT 1 AS x",  # 0002's first statement
)
HALF_BUILT_WITH_RUNS = (
    r"database '.*results\.db' is half-built \(a migration by an older driftwatch was "
    r"interrupted\): it records revision 0001 but has view feature_timeseries; it holds 1 run\(s\) "
    r"\(1 row\(s\)\), which driftwatch will not risk .*: restore the file from a backup"
)
HALF_BUILT = [
    Case(
        "half-built-first-run-is-rebuilt-by-the-next-run",
        0,
        setup_sql=FIRST_RUN_LEFT,
        db=DbState(runs=("succeeded",)),
        backends=("sqlite",),
    ),
    Case(
        "half-built-first-run-is-rebuilt-by-db-upgrade",
        0,
        args=("db", "upgrade", "--database", "{db}"),
        setup_sql=FIRST_RUN_LEFT,
        stdout=rf": schema empty -> {HEAD}",
        backends=("sqlite",),
    ),
    Case(
        "half-built-first-run-is-named-by-a-reader",
        2,
        r"half-built .*: it records no revision but has table reference_profiles; its tables are "
        r"empty, so `driftwatch db upgrade --database URL` or `driftwatch run` rebuilds it",
        args=("report", "--database", "{db}"),
        setup_sql=FIRST_RUN_LEFT,
        backends=("sqlite",),
    ),
    Case(
        "half-built-upgrade-holding-runs-is-refused-by-run",
        2,
        HALF_BUILT_WITH_RUNS,
        setup=(("db", "upgrade", "--database", "{db}", "--revision", "0001"),),
        setup_sql=UPGRADE_LEFT,
        db=DbState(runs=("succeeded",)),
        backends=("sqlite",),
    ),
    Case(
        "half-built-upgrade-holding-runs-is-refused-by-db-upgrade",
        2,
        HALF_BUILT_WITH_RUNS,
        args=("db", "upgrade", "--database", "{db}"),
        setup=(("db", "upgrade", "--database", "{db}", "--revision", "0001"),),
        setup_sql=UPGRADE_LEFT,
        db=DbState(runs=("succeeded",)),
        backends=("sqlite",),
    ),
]

PG_ONLY = [
    Case(
        "missing-postgresql-database",
        2,
        r"no results database 'dw_matrix_\w+_absent' on the server at 127\.0\.0\.1:\d+; create it "
        r"\(createdb dw_matrix_\w+_absent\) or fix --database",
        args=(*RUN, "{db}_absent"),
        db=None,
        backends=("postgresql",),
    ),
]

CASES = URLS + READ_ONLY + SCHEMA + HALF_BUILT + PG_ONLY


@pytest.mark.parametrize(("case", "backend"), case_params(CASES))
def test_bad_database(
    case: Case, backend: Backend, check_case: Callable[[Case, Backend], None]
) -> None:
    check_case(case, backend)


def test_the_database_area_has_enough_cases() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 40
