"""Alarm benchmark: score the engine and the peers' algorithms on CGM traces.

Modules: `traces` (load `minute,cgm[,true_bg]` CSV), `score` (events, warnings,
precision), `peers` (threshold, Nightscout AR2, xDrip+, Nightguard),
`runner` (run systems over a data set, the engine through tools/replay.py),
`plot` (one night per system, PNG). CLI: `python -m tools.alarmbench --help`.
"""
