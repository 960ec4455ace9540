"""Opening a database reads its revision and the code's head without Alembic: both must say
exactly what Alembic says, and anything unusual in the revision files is left to Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from driftwatch.errors import StoreError
from driftwatch.store import database as schema


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = schema.connect(database_url)
    yield engine
    engine.dispose()


def alembic_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_head_revision_is_alembics_head() -> None:
    script = ScriptDirectory(str(schema.migrations_dir()))
    assert schema.head_revision() == script.get_current_head()


def test_current_revision_agrees_with_alembic_at_every_revision(engine: sa.Engine) -> None:
    assert schema.current_revision(engine) is None
    assert alembic_revision(engine) is None
    script = ScriptDirectory(str(schema.migrations_dir()))
    for revision in reversed([r.revision for r in script.walk_revisions()]):
        schema.upgrade(engine, revision)
        assert schema.current_revision(engine) == alembic_revision(engine) == revision


def test_several_recorded_revisions_are_refused(engine: sa.Engine) -> None:
    schema.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES ('9999')"))
    with pytest.raises(StoreError, match=r"several schema revisions \(0\d+, 9999\)"):
        schema.current_revision(engine)


def revision_file(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(f'"""{name}"""\n{body}\n', encoding="utf-8")


@pytest.mark.parametrize(
    ("files", "head"),
    [
        pytest.param(
            {
                "a": 'revision = "a"\ndown_revision = None',
                "b": 'revision = "b"\ndown_revision = "a"',
            },
            "b",
            id="chain",
        ),
        pytest.param(
            {
                "a": 'revision: str = "a"\ndown_revision: str | None = None',
                "b": 'revision: str = "b"\ndown_revision: str | None = "a"\ndepends_on = None',
            },
            "b",
            id="annotated-chain",
        ),
        pytest.param(
            {
                "a": 'revision = "a"\ndown_revision = None',
                "b": 'revision = "b"\ndown_revision = "a"',
                "c": 'revision = "c"\ndown_revision = "a"',
            },
            None,
            id="two-heads",
        ),
        pytest.param(
            {
                "a": 'revision = "a"\ndown_revision = None',
                "b": 'revision = "b"\ndown_revision = "a"\ndepends_on = "x"',
            },
            None,
            id="depends-on",
        ),
        pytest.param(
            {"a": 'revision = "a"\ndown_revision = ("x", "y")'},
            None,
            id="merge-point",
        ),
        pytest.param({"a": 'revision = "a".upper()\ndown_revision = None'}, None, id="computed"),
        pytest.param({"a": "down_revision = None"}, None, id="no-revision"),
        pytest.param({"a": 'revision = "a"\ndown_revision = "gone"'}, None, id="missing-parent"),
        pytest.param({}, None, id="no-files"),
        pytest.param(
            {"a": 'revision = "a"\ndown_revision = None\n\ndef upgrade() -> None:\n    x = 1'},
            "a",
            id="bodies-after-the-declarations",
        ),
        pytest.param(
            {"a": 'def upgrade() -> None:\n    pass\nrevision = "a"\ndown_revision = None'},
            None,
            id="declared-after-a-function",
        ),
        pytest.param(
            {"a": '"""\ndef is a word here\n"""\nrevision = "a"\ndown_revision = None'},
            "a",
            id="def-at-a-docstring-line-start",
        ),
    ],
)
def test_only_a_plain_chain_of_revision_files_is_read_without_alembic(
    tmp_path: Path, files: dict[str, str], head: str | None
) -> None:
    for name, body in files.items():
        revision_file(tmp_path, name, body)
    assert schema._declared_head(tmp_path) == head
