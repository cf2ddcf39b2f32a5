"""``corpusclean whatif``: re-apply changed thresholds to the signals a run stored, no recomputing.

* :mod:`~corpusclean.whatif.output` — a finished run's folder, read-only (local or remote);
* :mod:`~corpusclean.whatif.sets` — ``--set STAGE.PARAM=VALUE`` parsing and what can be answered;
* :mod:`~corpusclean.whatif.replay` — the simulation (how each kind of stage is replayed);
* :mod:`~corpusclean.whatif.format` — the text printed.
"""

from corpusclean.errors import WhatIfError
from corpusclean.whatif.format import format_result
from corpusclean.whatif.output import RunOutput, StageInfo, parquet_file, read_columns, stage_columns
from corpusclean.whatif.replay import StageFunnel, WhatIfResult, whatif
from corpusclean.whatif.sets import parse_sets, retunable_params, threshold_pairs

__all__ = ["RunOutput", "StageFunnel", "StageInfo", "WhatIfError", "WhatIfResult", "format_result", "parquet_file",
           "parse_sets", "read_columns", "retunable_params", "stage_columns", "threshold_pairs", "whatif"]
