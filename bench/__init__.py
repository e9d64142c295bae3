"""Benchmarks (``make bench``): figures are printed as tables, never asserted in tests."""
