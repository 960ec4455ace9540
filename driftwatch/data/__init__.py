"""Small real datasets bundled for the example config and the tests (see SOURCES.md)."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
