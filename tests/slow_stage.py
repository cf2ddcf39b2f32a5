"""A stage that sleeps per shard, so a test can kill a run part-way (imported by the kill test)."""

import time

import pyarrow as pa

from corpusclean.stages.base import StageOutput, param, register
from corpusclean.stages.utility import PassThrough


@register("slow_passthrough")
class SlowPassThrough(PassThrough):
    """Pass-through that sleeps ``seconds`` per shard."""

    seconds: float = param(0.2, "Sleep per shard")

    def process(self, table: pa.Table) -> StageOutput:
        time.sleep(self.seconds)
        return super().process(table)


@register("broken_stage")
class BrokenStage(PassThrough):
    """A stage with a bug: it raises on every batch."""

    def process(self, table: pa.Table) -> StageOutput:
        raise RuntimeError("something nobody foresaw\nsecond line of the message")
