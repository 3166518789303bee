"""Load benchmarks of idp's hot paths against the production server, beside a peer.

Run with ``make bench`` (or ``python -m bench --help``); results go to ``bench/RESULTS.md``.
"""
