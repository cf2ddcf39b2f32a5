"""Deduplication libraries, one module per step (the stages live in :mod:`corpusclean.stages.dedup`).

Fuzzy (MinHash) dedup, in the order ``minhash_dedup`` runs them:

* :mod:`~corpusclean.dedup.minhash` — shingles and MinHash signatures (``scan``, per shard);
* :mod:`~corpusclean.dedup.lsh` — band keys, the (bands, rows) rule, candidate pairs per band;
* :mod:`~corpusclean.dedup.verify` — which candidate pairs are accepted;
* :mod:`~corpusclean.dedup.components` — clusters and their survivors (shared with ``exact_dedup``);
* :mod:`~corpusclean.dedup.index` — signature indexes for deduplicating against earlier runs;
* :mod:`~corpusclean.dedup.scan_files` — reading the per-shard scan files by column and row;
* :mod:`~corpusclean.dedup.exchange` — the files the middle step's tasks hand each other;
* :mod:`~corpusclean.dedup.middle` — ``minhash_dedup``'s middle step, round by round, as ``pmap`` tasks.
"""
