"""OUTPUT: the run folder's layout (:mod:`~corpusclean.output.run_folder`) and atomic Parquet/JSON writes
(:mod:`~corpusclean.output.writer`)."""

from corpusclean.output.run_folder import RunFolder

__all__ = ["RunFolder"]
