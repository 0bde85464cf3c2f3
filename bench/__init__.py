"""Benchmarks and a load simulator: the product measured beside the bare stack it runs on.

`make bench` (or `python -m bench`) runs every part; docs/performance.md explains each one
and holds the last run's tables. Nothing here is imported by the product or by `make test`.
"""
