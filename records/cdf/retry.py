"""When to try a call again and how long to wait: exponential backoff with full jitter, `Retry-After`
honoured, bounded in count and in total time (records-api.md §10, §12.4)."""

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

# Throttled, or a gateway that could not reach the service: nothing was done, try again.
RETRY_STATUSES = {429, 502, 503, 504}


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 10.0
    # No retry starts, and no Retry-After is waited for, beyond this long after the first attempt.
    total_seconds: float = 60.0


def backoff_delay(retry_number: int, policy: RetryPolicy, rng=random.random) -> float:
    """Full jitter: a uniform wait between 0 and the capped exponential step (retry_number from 0)."""
    step = min(policy.max_backoff_seconds, policy.backoff_seconds * 2**retry_number)
    return rng() * step


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


class RetryBudget:
    """The retries left to one call: to its request and, for a chunk of a write, to its failed records."""

    def __init__(self, policy: RetryPolicy, clock=time.monotonic, rng=random.random):
        self.policy = policy
        self.clock = clock
        self.rng = rng
        self.retries = 0
        self.deadline = clock() + policy.total_seconds

    def next_delay(self, retry_after: float | None = None) -> float | None:
        """How long to wait before the next attempt, or None when the budget is spent.

        Counts the retry: call once per retry actually made.
        """
        if self.retries >= self.policy.max_retries:
            return None
        delay = retry_after if retry_after is not None else backoff_delay(self.retries, self.policy, self.rng)
        if self.clock() + delay > self.deadline:
            return None
        self.retries += 1
        return delay
