"""Guarantees as checkable rules (placeholder)."""
