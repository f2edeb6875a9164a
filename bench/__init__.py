"""Benchmarks against a real server (`make bench`); never part of `make test`. See bench/README.md."""
