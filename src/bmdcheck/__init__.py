"""bmdcheck."""
