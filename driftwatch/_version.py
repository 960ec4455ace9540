"""The installed distribution's version. Imports nothing of the package: any module may use it."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

DISTRIBUTION = "driftwatch-monitor"
"""The name this project is installed under (``pip install driftwatch-monitor``, ``pip show``).

It differs from the import name and the command (both ``driftwatch``) because ``driftwatch`` on
PyPI is an unrelated project whose higher version number ``pip install -U`` would swap in."""

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
