"""Benchmarks of the project: synth, Lambda init, per request, the local cloud, and money.

Run them all with ``bench/run.sh`` (or ``python -m bench``); each module also runs alone as
``python -m bench.<module>``. Every figure is printed next to a reference taken in the same run,
and each benchmark writes its figures as JSON under ``bench/results/`` (not committed).
"""
