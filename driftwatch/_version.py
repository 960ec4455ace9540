"""The installed distribution's version. Imports nothing of the package: any module may use it."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

DISTRIBUTION = "driftwatch"
"""The name this project is installed under (``pip show``); it may differ from the import name."""

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
