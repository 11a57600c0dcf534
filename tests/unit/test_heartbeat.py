"""A heartbeat outlives a database that is away a moment, and gives the work up in time when
it stays away (before housekeeping hands the work to another worker)."""

from __future__ import annotations

import itertools
import time

from statesync.district.worker.heartbeat import Heartbeat


def test_a_beat_that_fails_once_is_tried_again():
    outcomes = itertools.chain([RuntimeError("connection lost")], itertools.repeat(True))
    beats = []

    def beat() -> bool:
        beats.append(1)
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with Heartbeat(beat, name="test heartbeat", every=0.01, give_up_after=5) as heartbeat:
        while len(beats) < 5:
            time.sleep(0.01)
    assert not heartbeat.lost


def test_beats_that_keep_failing_give_the_work_up():
    def beat() -> bool:
        raise RuntimeError("the database is away")

    with Heartbeat(beat, name="test heartbeat", every=0.01, give_up_after=0.05) as heartbeat:
        for _ in range(500):
            if heartbeat.lost:
                break
            time.sleep(0.01)
    assert heartbeat.lost


def test_a_beat_that_says_taken_over_is_lost():
    with Heartbeat(lambda: False, name="test heartbeat", every=0.01) as heartbeat:
        for _ in range(500):
            if heartbeat.lost:
                break
            time.sleep(0.01)
    assert heartbeat.lost
