"""Speed and memory figures. ``make bench`` (``python -m benchmarks``) runs every
``bench_*.py`` module in its own process and prints what each reports."""
