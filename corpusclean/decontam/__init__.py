"""Decontamination libraries (the stage is :mod:`corpusclean.stages.decontaminate`).

* :mod:`~corpusclean.decontam.tokens` — GPT-3 n-gram tokens and gram hashes of a whole batch;
* :mod:`~corpusclean.decontam.testsets` — reading benchmark test sets (5 formats, compressed or not);
* :mod:`~corpusclean.decontam.bloom` — the anchor bitmap (Bloom filter) in front of the index;
* :mod:`~corpusclean.decontam.index` — the merged gram index, its on-disk cache and loading.
"""
