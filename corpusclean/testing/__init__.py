"""Helpers for tests and benchmarks, not used by the pipeline: :mod:`corpusclean.testing.synth`
generates deterministic synthetic documents, HTML pages and WARC records."""
