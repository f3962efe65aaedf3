"""Benchmarks of imwu-intake, run by one command: ``.venv/bin/python -m bench [--quick]``.

Every figure is a ratio to a reference measured in the same run on the same machine (a bare
endpoint on the same server, a raw SQL loop on the same database, another PDF library), never a
timed assertion in the test suite. ``bench/RESULTS.md`` keeps the last full run.
"""
