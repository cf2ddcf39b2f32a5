"""Running a pipeline over shards: the plan, the driver and the executors."""

from corpusclean.runner.driver import RunError, funnel_table, load_stats, run

__all__ = ["RunError", "funnel_table", "load_stats", "run"]
