"""Helpers shared by test folders, imported as ``tests.helpers`` (a package, not a conftest: a
``from conftest import ...`` finds whichever folder's conftest pytest loaded last)."""

from tests.helpers.clock import FakeClock
from tests.helpers.processes import REPO_ROOT, printed_json, python_env, run_cli, run_python

__all__ = ["REPO_ROOT", "FakeClock", "printed_json", "python_env", "run_cli", "run_python"]
