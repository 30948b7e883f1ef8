"""Receivers, one folder per type (its config, servers and factory); `factory.py` is what a type provides."""
