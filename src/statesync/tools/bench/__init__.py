"""`statesync bench`: statesync's speed beside the raw speed of its own database, in one run.

The outer process makes a throw-away data folder (or dedicated PostgreSQL databases) and runs
`statesync bench --inside` there, so a bench never touches real data. Inside: seed, start a
real `statesync serve` serving the state, measure the raw upsert rate, then run each resync as
its own `statesync resync --foreground` process (whose peak memory the kernel reports), and time
selective syncs through the district's HTTP API, alone and beside 300 stalled clients.
"""

from statesync.tools.bench.outside import CURVE_SIZES, run_curve, run_outside

__all__ = ["CURVE_SIZES", "run_curve", "run_outside"]
