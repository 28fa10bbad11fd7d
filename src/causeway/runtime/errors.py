"""Typed failures of the backbone itself, each naming the topic, group or dead letter involved."""

from __future__ import annotations


class BackboneError(Exception):
    """Base class for runtime failures that are not a handler's business."""


class SubscriptionNotFoundError(BackboneError):
    """A claim or admin call named a consumer group that never subscribed to the topic."""

    def __init__(self, topic: str, group: str) -> None:
        self.topic = topic
        self.group = group
        super().__init__(f"consumer group {group!r} has no subscription to topic {topic!r}")


class DeadLetterNotFoundError(BackboneError):
    """No dead letter has this id."""

    def __init__(self, dead_letter_id: int) -> None:
        self.dead_letter_id = dead_letter_id
        super().__init__(f"dead letter {dead_letter_id} does not exist")


class DeadLetterStateError(BackboneError):
    """The dead letter was already replayed or discarded, so it can no longer change."""

    def __init__(self, dead_letter_id: int, status: str, action: str) -> None:
        self.dead_letter_id = dead_letter_id
        self.status = status
        self.action = action
        super().__init__(f"cannot {action} dead letter {dead_letter_id}: it is {status}")


class BackpressureError(BackboneError):
    """The outlet's buffer stayed above its high-water mark for longer than the caller waits."""

    def __init__(self, topic: str, depth: int, high_water: int, waited: float) -> None:
        self.topic = topic
        self.depth = depth
        self.high_water = high_water
        self.waited = waited
        super().__init__(
            f"topic {topic!r}: {depth} envelopes buffered (high-water mark {high_water}), "
            f"no room after {waited:.1f}s"
        )
