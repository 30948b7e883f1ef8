"""Processors, one module per type (its config and factory)."""
