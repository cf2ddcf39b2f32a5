"""Running a pipeline over shards on disk.

* :mod:`~corpusclean.runner.plan` — segments (cut at global stages) and tasks;
* :mod:`~corpusclean.runner.worker` — :class:`ShardRunner`, what runs a task in a worker process;
* :mod:`~corpusclean.runner.global_step` — a global stage's middle step (``reduce``);
* :mod:`~corpusclean.runner.driver` — :func:`run`: output folder, manifest, resume, passes, stats.

Where tasks run is :mod:`corpusclean.executors`; the output layout is
:class:`corpusclean.output.RunFolder`.
"""

from corpusclean.runner.driver import funnel_table, load_stats, run

__all__ = ["funnel_table", "load_stats", "run"]
