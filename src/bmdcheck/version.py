"""The package version (one place; ``bmdcheck.__version__`` re-exports it)."""

__version__ = "0.1.0"
