"""The benchmarks (`make bench`): each script prints its figures, and reports them through
bench.figures for the closing summary of bench/run_all.py."""
