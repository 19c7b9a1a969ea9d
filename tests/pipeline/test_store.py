"""The job store: jobs, the paid-call write-ahead, restart decisions, spend, leases, events."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.config import Settings
from storyreel.errors import JobError
from storyreel.pipeline.hashing import file_sha256
from storyreel.pipeline.store import (
    SCHEMA_VERSION,
    JobStore,
    SQLiteJobStore,
    decide_step,
    default_store_path,
    may_repeat_unknown,
    new_job_id,
    open_store,
    parse_step_key,
    step_key,
)
from storyreel.pipeline.store._sql import SqlJobStore
from storyreel.plan import Plan, Segment


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


# What the shared tests need of a backend; tests/distributed/test_postgres_store.py gives the
# same three fixtures for PostgreSQL.
NewStore = Callable[[], SqlJobStore]  # a store on the test's database, not yet opened
RawSql = Callable[[str], None]  # runs a statement on that database, behind the store's back


@pytest.fixture
def new_store(tmp_path: Path, clock: Clock) -> NewStore:
    return lambda: SQLiteJobStore(tmp_path / "storyreel.db", clock=clock)


@pytest.fixture
def raw_sql(tmp_path: Path) -> RawSql:
    def run(statement: str) -> None:
        conn = sqlite3.connect(tmp_path / "storyreel.db")
        try:
            conn.execute(statement)
            conn.commit()
        finally:
            conn.close()

    return run


@pytest.fixture
async def store(new_store: NewStore) -> AsyncIterator[SqlJobStore]:
    async with new_store() as opened:
        yield opened


def a_plan() -> Plan:
    return Plan(
        title="T",
        segments=[
            Segment(
                narration="n",
                video_prompt="[Zoom in] v",
                first_frame_prompt="f",
                last_frame_prompt="l",
                camera="Zoom in",
            )
        ],
    )


# --- SQLite only: the file, its schema and its default place ---


async def test_new_database_is_migrated_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "db" / "storyreel.db"
    async with SQLiteJobStore(path) as store:
        assert isinstance(store, JobStore)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    async with SQLiteJobStore(path) as again:  # opening again does not migrate twice
        assert await again.list_jobs() == []


def test_default_location_and_keys(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert default_store_path(settings) == tmp_path / "storyreel.db"
    assert isinstance(open_store(settings), SQLiteJobStore)
    assert parse_step_key("video:12") == ("video", 12)
    assert parse_step_key("assemble") == ("assemble", None)
    assert step_key("speech", 3) == "speech:3"
    for bad in ("bogus:1", "video:x", "video:-1"):
        with pytest.raises(JobError):
            parse_step_key(bad)
    ids = {new_job_id() for _ in range(100)}
    assert len(ids) == 100 and all(len(i) == 16 and i.isalnum() for i in ids)


# --- several processes on one SQLite file ---


_CLAIMER = """
import asyncio, json, sys
from pathlib import Path
from storyreel.pipeline.store import SQLiteJobStore

async def main(db, job, worker, go, n):
    async with SQLiteJobStore(Path(db)) as store:
        print("ready", flush=True)
        while not Path(go).exists():
            await asyncio.sleep(0.0005)
        # Opposite orders, so the two meet in the middle and fight over the same steps there.
        order = range(n) if worker.endswith("0") else range(n - 1, -1, -1)
        won = [i for i in order if await store.claim_step(job, f"video:{i}", worker, 300)]
    print(json.dumps(won), flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
"""


async def test_two_processes_claiming_the_same_steps(tmp_path: Path) -> None:
    db, go, n = tmp_path / "storyreel.db", tmp_path / "go", 200
    async with SQLiteJobStore(db) as store:
        job = await store.create_job("s", {}, tmp_path)
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _CLAIMER,
            str(db),
            job.id,
            f"worker-{w}",
            str(go),
            str(n),
            stdout=asyncio.subprocess.PIPE,
        )
        for w in range(2)
    ]
    for worker in workers:  # both connected before either claims, so they contend
        assert worker.stdout is not None
        assert (await asyncio.wait_for(worker.stdout.readline(), 30)).strip() == b"ready"
    go.touch()
    outputs = [await asyncio.wait_for(worker.communicate(), 60) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0]
    won = [set(json.loads(out.decode())) for out, _ in outputs]
    assert won[0].isdisjoint(won[1])  # no step has two owners
    assert won[0] | won[1] == set(range(n))  # and none was lost
    async with SQLiteJobStore(db) as store:
        owners = {s.key: s.lease_owner for s in await store.list_steps(job.id)}
    assert owners == {f"video:{i}": "worker-0" if i in won[0] else "worker-1" for i in range(n)}


_CREATOR = """
import asyncio, sys
from pathlib import Path
from storyreel.pipeline.store import SQLiteJobStore

async def main(db, go):
    print("ready", flush=True)
    while not Path(go).exists():
        await asyncio.sleep(0.0005)
    async with SQLiteJobStore(Path(db)) as store:
        await store.create_job("story", {}, Path(db).parent)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_processes_creating_the_database_at_once(tmp_path: Path) -> None:
    # A new file is switched to WAL under an exclusive lock that busy_timeout does not cover.
    db, go = tmp_path / "storyreel.db", tmp_path / "go"
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _CREATOR, str(db), str(go), stdout=asyncio.subprocess.PIPE
        )
        for _ in range(4)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"ready"
    go.touch()
    for proc in procs:
        await asyncio.wait_for(proc.communicate(), 60)
    assert [proc.returncode for proc in procs] == [0, 0, 0, 0]
    async with SQLiteJobStore(db) as store:
        assert len(await store.list_jobs()) == 4


# --- every backend ---


class TestStoreBehaviour:
    """What every backend must do. tests/distributed/test_postgres_store.py collects this class
    again, where ``store``, ``new_store`` and ``raw_sql`` are PostgreSQL's."""

    # --- schema ---

    async def test_a_newer_schema_is_refused(
        self, store: SqlJobStore, new_store: NewStore, raw_sql: RawSql
    ) -> None:
        raw_sql("UPDATE schema_version SET version = 999")
        try:
            with pytest.raises(JobError, match="newer than this storyreel"):
                async with new_store():
                    pass
        finally:  # the PostgreSQL database is shared by the session's tests
            raw_sql(f"UPDATE schema_version SET version = {SCHEMA_VERSION}")

    # --- jobs ---

    async def test_jobs_round_trip(self, store: SqlJobStore, tmp_path: Path, clock: Clock) -> None:
        out = tmp_path / "out"
        job = await store.create_job(
            "Once upon a time", {"resolution": "768P", "budget": Decimal("2.50")}, out
        )
        assert job.status == "queued" and job.plan is None and job.spent_usd == 0
        assert job.output_dir == out.resolve()
        assert job.options == {"resolution": "768P", "budget": "2.50"}

        clock.now += 5
        await store.set_plan(job.id, a_plan())
        await store.set_status(job.id, "succeeded", video_path=out / "final_video.mp4")
        await store.set_options(job.id, {"resolution": "1080P"})
        got = await store.get_job(job.id)
        assert got.plan == a_plan()
        assert got.status == "succeeded" and got.video_path == out / "final_video.mp4"
        assert got.options == {"resolution": "1080P"}
        assert got.updated_at == job.created_at + 5

        with pytest.raises(JobError, match="no job"):
            await store.get_job("missing")
        with pytest.raises(JobError, match="no job"):
            await store.set_status("missing", "failed")
        with pytest.raises(JobError, match="already exists"):
            await store.create_job("x", {}, out, job_id=job.id)

    async def test_a_status_write_can_leave_a_cancel_standing(
        self, store: SqlJobStore, tmp_path: Path
    ) -> None:
        job = await store.create_job("s", {}, tmp_path / "out")
        assert await store.set_status(job.id, "running", unless=("cancelled",))
        await store.set_status(job.id, "cancelled", error="cancelled")
        # A worker finishing its unit after the cancel does not undo it ...
        assert not await store.set_status(
            job.id, "succeeded", video_path=tmp_path / "v.mp4", unless=("cancelled",)
        )
        got = await store.get_job(job.id)
        assert got.status == "cancelled" and got.error == "cancelled" and got.video_path is None
        # ... while a plain write (the user's `storyreel resume`) does.
        assert await store.set_status(job.id, "running")
        assert (await store.get_job(job.id)).status == "running"
        with pytest.raises(JobError, match="no job"):
            await store.set_status("missing", "failed", unless=("cancelled",))

    async def test_find_by_output_dir_and_list(
        self, store: SqlJobStore, tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        first = await store.create_job("a", {}, Path("out"))
        clock.now += 1
        second = await store.create_job("b", {}, tmp_path / "out")
        clock.now += 1
        other = await store.create_job("c", {}, tmp_path / "elsewhere")
        await store.set_status(other.id, "failed", error="boom")

        found = await store.find_job_by_output_dir(Path("./out"))
        assert found is not None and found.id == second.id  # the latest job in that folder
        assert await store.find_job_by_output_dir(tmp_path / "nothing") is None
        assert [j.id for j in await store.list_jobs()] == [other.id, second.id, first.id]
        assert [j.id for j in await store.list_jobs(status="failed")] == [other.id]
        assert (await store.list_jobs(status="failed"))[0].error == "boom"
        assert len(await store.list_jobs(limit=1)) == 1

    # --- the write-ahead of paid calls ---

    async def test_paid_call_lifecycle(self, store: SqlJobStore, tmp_path: Path) -> None:
        job = await store.create_job("s", {}, tmp_path)
        intent = await store.begin_paid(
            job.id, "video:2", "h1", "minimax", estimate_usd=Decimal("0.28")
        )
        assert (intent.attempt, intent.inputs_hash, intent.provider) == (1, "h1", "minimax")

        step = await store.get_step(job.id, "video:2")
        assert step is not None
        assert (step.kind, step.segment, step.state) == ("video", 2, "running")
        assert step.unknown_outcome  # the intent is on record before the request goes out
        assert step.cost_estimate_usd == Decimal("0.28") and step.cost_actual_usd is None

        await store.record_submitted(job.id, "video:2", "task-123", attempt=intent.attempt)
        await store.record_submitted(job.id, "video:2", "task-123")  # said twice: harmless
        step = await store.get_step(job.id, "video:2")
        assert step is not None and step.state == "submitted" and step.provider_ref == "task-123"
        assert not step.unknown_outcome

        clip = tmp_path / "clip.mp4"
        clip.write_bytes(b"clip")
        done = await store.complete(
            job.id, "video:2", path=clip, sha256=file_sha256(clip), cost_usd=Decimal("0.28")
        )
        assert done.state == "done" and done.artefact_path == clip
        assert done.cost_actual_usd == Decimal("0.28") and done.provider_ref == "task-123"
        # Completing again (a retry after a lost answer) neither fails nor bills twice.
        again = await store.complete(
            job.id, "video:2", path=clip, sha256=file_sha256(clip), cost_usd=Decimal("0.28")
        )
        assert again.cost_actual_usd == Decimal("0.28")

    async def test_the_record_survives_the_process(
        self, new_store: NewStore, tmp_path: Path
    ) -> None:
        async with new_store() as first:
            job = await first.create_job("s", {}, tmp_path)
            await first.begin_paid(job.id, "video:0", "h", "minimax")
            await first.record_submitted(job.id, "video:0", "task-9")
            await first.begin_paid(job.id, "video:1", "h", "minimax")
        async with new_store() as second:  # "after the crash"
            resumed = await decide_step(second, job.id, "video:0", "h")
            assert (resumed.action, resumed.provider_ref) == ("resume", "task-9")
            assert (await decide_step(second, job.id, "video:1", "h")).action == "unknown_outcome"

    async def test_paying_twice_is_refused(self, store: SqlJobStore, tmp_path: Path) -> None:
        job = await store.create_job("s", {}, tmp_path)
        await store.begin_paid(job.id, "video:0", "h", "minimax")
        with pytest.raises(JobError, match="outcome is unknown"):
            await store.begin_paid(job.id, "video:0", "h", "minimax")
        with pytest.raises(JobError, match="outcome is unknown"):
            await store.start_step(job.id, "video:0", "h")
        await store.record_submitted(job.id, "video:0", "task-1")
        with pytest.raises(JobError, match="task-1"):
            await store.begin_paid(job.id, "video:0", "h", "minimax")

        # With the user's consent, or for new inputs, a new attempt starts.
        repeat = await store.begin_paid(job.id, "video:0", "h", "minimax", repeat=True)
        assert repeat.attempt == 2
        edited = await store.begin_paid(job.id, "video:0", "h2", "minimax")
        assert edited.attempt == 3
        # A late answer to a superseded attempt is not taken for the current one.
        with pytest.raises(JobError, match="superseded"):
            await store.record_submitted(job.id, "video:0", "task-late", attempt=1)

    async def test_transitions_need_a_started_step(
        self, store: SqlJobStore, tmp_path: Path
    ) -> None:
        job = await store.create_job("s", {}, tmp_path)
        with pytest.raises(JobError, match="never started"):
            await store.record_submitted(job.id, "video:0", "t")
        with pytest.raises(JobError, match="never started"):
            await store.complete(job.id, "mux:0", path=None, sha256=None)
        with pytest.raises(JobError, match="no job"):
            await store.begin_paid("missing", "video:0", "h", "minimax")
        await store.start_step(job.id, "mux:0", "h")
        with pytest.raises(JobError, match="needs a begin_paid"):
            await store.record_submitted(job.id, "mux:0", "t")
        await store.fail(job.id, "mux:0", "ffmpeg exited 1")
        failed = await store.get_step(job.id, "mux:0")
        assert failed is not None and failed.state == "failed" and failed.error == "ffmpeg exited 1"
        with pytest.raises(JobError, match="only a started step"):
            await store.complete(job.id, "mux:0", path=None, sha256=None)

    # --- what to do on restart ---

    async def test_decisions_on_restart(self, store: SqlJobStore, tmp_path: Path) -> None:
        job = await store.create_job("s", {}, tmp_path)
        assert (await decide_step(store, job.id, "frame:0", "h")).action == "run"

        frame = tmp_path / "frame_00.png"
        frame.write_bytes(b"png")
        await store.begin_paid(job.id, "frame:0", "h", "openai")
        await store.complete(job.id, "frame:0", path=frame, sha256=file_sha256(frame))
        assert (await decide_step(store, job.id, "frame:0", "h")).action == "reuse"
        changed = await decide_step(store, job.id, "frame:0", "h-edited")
        assert (changed.action, changed.reason) == ("run", "its inputs changed")
        frame.write_bytes(b"tampered")
        assert (await decide_step(store, job.id, "frame:0", "h")).action == "run"
        frame.unlink()
        assert (await decide_step(store, job.id, "frame:0", "h")).action == "run"

        # A finished video whose file went missing is downloaded again from its task, not re-made.
        await store.begin_paid(job.id, "video:0", "v", "minimax")
        await store.record_submitted(job.id, "video:0", "task-0")
        await store.complete(job.id, "video:0", path=tmp_path / "gone.mp4", sha256="0" * 64)
        lost = await decide_step(store, job.id, "video:0", "v")
        assert (lost.action, lost.provider_ref) == ("resume", "task-0")

        # Lost answers: a synchronous call is asked again (flagged), a video is surfaced.
        await store.begin_paid(job.id, "speech:0", "s", "minimax")
        speech = await decide_step(store, job.id, "speech:0", "s")
        assert (speech.action, speech.repeats_paid_call) == ("run", True)
        await store.begin_paid(job.id, "video:1", "v", "minimax")
        video = await decide_step(store, job.id, "video:1", "v")
        assert video.action == "unknown_outcome" and "may have accepted" in video.reason
        assert not may_repeat_unknown("video") and may_repeat_unknown("frame")

        # Interrupted unpaid work and failures just run again; a plan kept in the job is reused.
        await store.start_step(job.id, "mux:0", "m")
        assert (await decide_step(store, job.id, "mux:0", "m")).action == "run"
        await store.begin_paid(job.id, "plan", "p", "openai")
        await store.complete(job.id, "plan", path=None, sha256=None)
        assert (await decide_step(store, job.id, "plan", "p")).action == "reuse"

        steps = await store.list_steps(job.id)  # by kind, then segment
        assert [s.key for s in steps] == [
            "frame:0",
            "mux:0",
            "plan",
            "speech:0",
            "video:0",
            "video:1",
        ]
        with pytest.raises(JobError, match="no job"):
            await store.list_steps("missing")

    # --- spend ---

    async def test_spend_per_job_stage_segment_and_step(
        self, store: SqlJobStore, tmp_path: Path
    ) -> None:
        job = await store.create_job("s", {}, tmp_path)
        other = await store.create_job("s", {}, tmp_path / "other")

        async def paid(job_id: str, key: str, cost: str, *, fail: bool = False) -> None:
            await store.begin_paid(job_id, key, "h", "p", repeat=True)
            if fail:
                await store.fail(job_id, key, "rejected after billing", cost_usd=Decimal(cost))
            else:
                await store.complete(job_id, key, path=None, sha256=None, cost_usd=Decimal(cost))

        await paid(job.id, "plan", "0.01")
        await paid(job.id, "video:0", "0.28", fail=True)  # billed, then failed: still spent
        await paid(job.id, "video:0", "0.28")
        await paid(job.id, "video:1", "0.56")
        await paid(job.id, "speech:1", "0.1")
        await paid(other.id, "video:0", "0.28")

        spent = await store.spend(job.id)
        assert spent.total == Decimal("1.23")
        assert spent.by_stage == {
            "plan": Decimal("0.01"),
            "video": Decimal("1.12"),
            "speech": Decimal("0.1"),
        }
        assert spent.by_segment == {None: Decimal("0.01"), 0: Decimal("0.56"), 1: Decimal("0.66")}
        assert spent.by_step["video:0"] == Decimal("0.56")
        step = await store.get_step(job.id, "video:0")
        assert step is not None and step.attempts == 2 and step.cost_actual_usd == Decimal("0.56")
        listed = {j.id: j.spent_usd for j in await store.list_jobs()}
        assert listed == {job.id: Decimal("1.23"), other.id: Decimal("0.28")}
        with pytest.raises(JobError):
            await store.spend("missing")

    async def test_deleting_a_job_forgets_its_steps_spend_and_events(
        self, store: SqlJobStore, tmp_path: Path
    ) -> None:
        job = await store.create_job("s", {}, tmp_path)
        kept = await store.create_job("t", {}, tmp_path / "other")
        for each in (job, kept):
            await store.begin_paid(each.id, "video:0", "h", "p")
            await store.complete(each.id, "video:0", path=None, sha256=None, cost_usd=Decimal("1"))
            await store.append_event(each.id, "StepFinished", {"stage": "video", "segment": 0})

        await store.delete_job(job.id)

        with pytest.raises(JobError):
            await store.get_job(job.id)
        for table in ("steps", "spend", "events"):
            rows = await store._read(
                lambda db, t=table: db.all(f"SELECT job_id FROM {t}")  # type: ignore[misc]
            )
            assert {row["job_id"] for row in rows} == {kept.id}, table
        assert [j.id for j in await store.list_jobs()] == [kept.id]
        # The other job is untouched, its spend included.
        assert (await store.spend(kept.id)).total == Decimal("1")
        assert len(await store.events(kept.id)) == 1
        with pytest.raises(JobError):
            await store.delete_job(job.id)  # already gone
        # The id may be used again: nothing of the old job is left to collide with.
        again = await store.create_job("s", {}, tmp_path, job_id=job.id)
        assert again.spent_usd == 0 and await store.list_steps(job.id) == []

    # --- several workers ---

    async def test_leases(self, store: SqlJobStore, tmp_path: Path, clock: Clock) -> None:
        job = await store.create_job("s", {}, tmp_path)
        assert await store.claim_step(job.id, "video:0", "w1", 60)
        assert not await store.claim_step(job.id, "video:0", "w2", 60)
        clock.now += 30
        assert await store.claim_step(job.id, "video:0", "w1", 60)  # renewed until +90
        clock.now += 59
        assert not await store.claim_step(job.id, "video:0", "w2", 60)
        clock.now += 2  # w1 stopped renewing: its lease ran out
        assert await store.claim_step(job.id, "video:0", "w2", 60)
        step = await store.get_step(job.id, "video:0")
        assert step is not None and step.lease_owner == "w2" and step.state == "pending"
        await store.release_step(job.id, "video:0", "w1")  # not the owner: no effect
        assert not await store.claim_step(job.id, "video:0", "w1", 60)
        await store.release_step(job.id, "video:0", "w2")
        assert await store.claim_step(job.id, "video:0", "w1", 60)

    # --- events ---

    async def test_events_append_and_stream(self, store: SqlJobStore, tmp_path: Path) -> None:
        job = await store.create_job("s", {}, tmp_path)
        first = await store.append_event(job.id, "StepStarted", {"stage": "video", "segment": 0})
        await store.append_event(job.id, "StepProgress", {"fraction": 0.5})
        third = await store.append_event(job.id, "StepFinished", {"cost": Decimal("0.28")})
        assert (first.seq, third.seq) == (1, 3)
        assert third.payload == {"cost": "0.28"}
        assert [e.type for e in await store.events(job.id)] == [
            "StepStarted",
            "StepProgress",
            "StepFinished",
        ]
        assert [e.seq for e in await store.events(job.id, after=1)] == [2, 3]
        assert [e.seq for e in await store.events(job.id, after=1, limit=1)] == [2]
        with pytest.raises(JobError):
            await store.append_event("missing", "x", {})
