"""The limits, counted in the real database (SQLite and PostgreSQL): the same for every process, kept
across a restart, per person in direct messages, and in a table that stays small. Time is a clock
the tests move; nothing waits."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import event, func, select

from bot.chat import Place
from bot.chatstore import ChatStore
from bot.limits import Limits, LimitSettings
from bot.store import Store
from bot.tables import UsageRow

T0 = 1_800_000_000.0  # a fixed moment in 2027
HOUR, DAY = 3600.0, 86400.0
HERE = Place("slack", "T1", "C1")


class Clock:
    def __init__(self, t: float = T0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def chatstore(database_url):
    store = Store.open(database_url)
    yield ChatStore(store)
    store.engine.dispose()


def limits(chatstore: ChatStore, clock: Clock, **settings) -> Limits:
    defaults = {"per_user_per_hour": 1000, "per_channel_per_hour": 1000, "digests_per_workspace_per_day": 1000}
    return Limits(LimitSettings(**{**defaults, **settings}), chatstore, clock)


def rows(chatstore: ChatStore) -> int:
    with chatstore.engine.connect() as c:
        return c.execute(select(func.count()).select_from(UsageRow)).scalar()


def test_a_user_is_refused_after_their_hourly_requests_and_welcome_again_after_the_hour(chatstore):
    clock = Clock()
    lim = limits(chatstore, clock, per_user_per_hour=3)
    assert [lim.refusal(HERE, "U1", digest=d) for d in (True, False, False)] == [None] * 3
    clock.advance(HOUR - 1)
    for _ in range(5):  # refusals are not counted: they do not push the hour back
        assert lim.refusal(HERE, "U1", digest=False) == (
            "You have asked for 3 things in the last hour; please give recap a moment."
        )
    assert lim.refusal(HERE, "U2", digest=False) is None  # someone else in the channel may
    assert lim.refusal(Place("slack", "T2", "C9"), "U1", digest=False) is None  # and in another workspace
    clock.advance(1.001)
    assert [lim.refusal(HERE, "U1", digest=False) for _ in range(3)] == [None] * 3


def test_a_channel_is_refused_after_its_hourly_requests_from_everyone(chatstore):
    clock = Clock()
    lim = limits(chatstore, clock, per_channel_per_hour=2)
    assert lim.refusal(HERE, "U1", digest=True) is None
    assert lim.refusal(HERE, "U2", digest=False) is None
    assert lim.refusal(HERE, "U3", digest=False) == (
        "This channel has had 2 requests in the last hour; please try again later."
    )
    assert lim.refusal(Place("slack", "T1", "C2"), "U3", digest=False) is None
    clock.advance(HOUR + 1)
    assert lim.refusal(HERE, "U3", digest=False) is None


def test_the_daily_digest_budget_is_the_workspaces_and_answers_do_not_spend_it(chatstore):
    clock = Clock()
    lim = limits(chatstore, clock, digests_per_workspace_per_day=2)
    assert lim.refusal(HERE, "U1", digest=True) is None
    assert lim.refusal(Place("slack", "T1", "C2"), "U2", digest=True) is None
    refused = lim.refusal(Place("slack", "T1", "C3"), "U3", digest=True)
    assert refused == "This workspace has had its 2 video digests for today; the budget renews within 24 hours."
    assert lim.refusal(HERE, "U3", digest=False) is None  # a question about a digest already made
    assert lim.refusal(Place("slack", "T2", "C1"), "U1", digest=True) is None  # another workspace
    assert lim.refusal(Place("discord", "T1", "C1"), "U1", digest=True) is None  # another platform's T1
    clock.advance(DAY - 1)
    assert lim.refusal(HERE, "U3", digest=True) == refused
    clock.advance(2)
    assert lim.refusal(HERE, "U3", digest=True) is None


def test_the_budget_is_checked_before_the_hourly_limits(chatstore):
    lim = limits(chatstore, Clock(), per_user_per_hour=1, digests_per_workspace_per_day=1)
    assert lim.refusal(HERE, "U1", digest=True) is None
    assert "video digests for today" in lim.refusal(HERE, "U1", digest=True)
    assert "in the last hour" in lim.refusal(HERE, "U1", digest=False)


def test_limits_survive_a_restart(database_url):
    clock = Clock()
    first = Store.open(database_url)
    lim = limits(ChatStore(first), clock, per_user_per_hour=2, digests_per_workspace_per_day=3)
    assert [lim.refusal(HERE, "U1", digest=True) for _ in range(2)] == [None, None]
    first.engine.dispose()

    again = Store.open(database_url)  # a new process: new engine, new Limits, nothing in memory
    lim = limits(ChatStore(again), clock, per_user_per_hour=2, digests_per_workspace_per_day=3)
    assert "in the last hour" in lim.refusal(HERE, "U1", digest=False)
    assert lim.refusal(HERE, "U2", digest=True) is None
    assert "video digests for today" in lim.refusal(HERE, "U3", digest=True)
    again.engine.dispose()


def test_two_processes_count_against_the_same_limits(database_url):
    clock = Clock()
    stores = [Store.open(database_url), Store.open(database_url)]
    a, b = (limits(ChatStore(s), clock, per_user_per_hour=4) for s in stores)
    answers = [lim.refusal(HERE, "U1", digest=False) for _ in range(3) for lim in (a, b)]
    assert [x is None for x in answers] == [True] * 4 + [False] * 2
    for s in stores:
        s.engine.dispose()


def test_direct_messages_spend_each_persons_own_budget(chatstore):
    """Discord DMs all have the workspace "dm": one shared budget would let one person spend everyone's."""
    lim = limits(chatstore, Clock(), digests_per_workspace_per_day=2)
    mine, theirs = Place("discord", "dm", "D1"), Place("discord", "dm", "D2")
    assert [lim.refusal(mine, "U1", digest=True) for _ in range(2)] == [None, None]
    assert "video digests for today" in lim.refusal(mine, "U1", digest=True)
    assert [lim.refusal(theirs, "U2", digest=True) for _ in range(2)] == [None, None]

    guild = Place("discord", "G1", "C1")  # in a guild the budget stays the guild's, shared
    assert [lim.refusal(guild, user, digest=True) for user in ("U1", "U2")] == [None, None]
    assert "video digests for today" in lim.refusal(guild, "U3", digest=True)


def test_usage_older_than_a_day_is_deleted_so_the_table_stays_small(chatstore):
    clock = Clock()
    lim = limits(chatstore, clock)
    for i in range(3 * 48):  # three days of a digest every half hour: three rows each (budget, user, channel)
        assert lim.refusal(HERE, f"U{i % 5}", digest=True) is None
        assert rows(chatstore) <= 3 * (48 + 1)
        clock.advance(HOUR / 2)
    with chatstore.engine.connect() as c:
        oldest = c.execute(select(func.min(UsageRow.at))).scalar()
    assert clock() - oldest.timestamp() <= DAY + HOUR / 2


def test_old_usage_is_deleted_at_most_once_a_minute(chatstore):
    deletes = []
    event.listen(
        chatstore.engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: deletes.append(statement) if statement.startswith("DELETE") else None,
    )
    clock = Clock()
    lim = limits(chatstore, clock)
    for _ in range(10):
        assert lim.refusal(HERE, "U1", digest=False) is None
        clock.advance(5)
    assert len(deletes) == 1
    clock.advance(60)
    assert lim.refusal(HERE, "U1", digest=False) is None
    assert len(deletes) == 2


def _ask_at_once(url: str, barrier, results, times: int) -> None:
    """One process of a deployment: opens the database, then asks `times` times the moment all are ready."""
    store = Store.open(url)
    lim = Limits(LimitSettings(per_user_per_hour=15), ChatStore(store), lambda: T0)
    barrier.wait()
    results.put(sum(lim.refusal(HERE, "U1", digest=False) is None for _ in range(times)))
    store.engine.dispose()


def test_processes_asking_at_the_same_moment_never_exceed_a_limit_together(database_url):
    Store.open(database_url).engine.dispose()  # the schema first: this test is about the limits
    ctx = multiprocessing.get_context("spawn")  # fork would copy this process's threads and connections
    barrier, results = ctx.Barrier(4), ctx.Queue()
    processes = [ctx.Process(target=_ask_at_once, args=(database_url, barrier, results, 10)) for _ in range(4)]
    for p in processes:
        p.start()
    allowed = [results.get(timeout=120) for _ in processes]
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sum(allowed) == 15
