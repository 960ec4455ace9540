"""Opening a database reads its revision with SQLAlchemy and compares it with HEAD_REVISION,
without Alembic: both must say exactly what Alembic says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
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
    """A new migration must bump HEAD_REVISION, or every database would be refused as behind."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(schema.migrations_dir()))
    assert ScriptDirectory.from_config(config).get_current_head() == schema.HEAD_REVISION


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
