"""Benchmarks and the data generator they run on (see bench/centre.py)."""
