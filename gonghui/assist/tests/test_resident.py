"""The resident match index: the change log the triggers keep, snapshots reused while the log
stands still and rebuilt when it moves, the background build of a large library with the stale
snapshot serving meanwhile, and results confirmed against the rows so a stale snapshot never
shows a withdrawn craftsman or breaks a conflict of interest."""

from __future__ import annotations

import pytest
from django.db import transaction

from gonghui.assist import libraries as svc
from gonghui.assist import matching, resident
from gonghui.assist.models import Craftsman, LibraryOutcome
from gonghui.conftest import World, build_world

SPINDLE = "擅长数控机床主轴异响、主轴发热故障维修，熟悉FANUC系统。"
QUERY = "数控机床主轴异响"


def _add(world: World, name: str, bio: str = SPINDLE, **kwargs) -> Craftsman:
    return svc.craftsman_create(
        actor=world.users["district_admin"], org_unit=world.district, name=name, bio=bio, **kwargs
    )


def _ids(**kwargs) -> list[int]:
    return [row.id for row in matching.match(text=QUERY, kind="craftsman", **kwargs)]


@pytest.mark.django_db
def test_every_statement_on_a_library_table_moves_its_change_log(world: World) -> None:
    craftsmen, outcomes = resident.position("craftsman"), resident.position("outcome")
    craftsman = _add(world, "甲")
    after_create = resident.position("craftsman")
    assert after_create[0] > craftsmen[0] and after_create[1] > craftsmen[1]
    assert resident.position("outcome") == outcomes  # the other kind's log did not move
    # A bulk update bypassing the services (and save()) is seen too.
    Craftsman.objects.filter(pk=craftsman.pk).update(confirmed_solutions=3)
    after_update = resident.position("craftsman")
    assert after_update > after_create
    LibraryOutcome.objects.filter(pk=-1).delete()  # a statement touching no row
    Craftsman.objects.filter(pk=craftsman.pk).delete()
    assert resident.position("craftsman") > after_update
    # A write rolled back leaves no trace, as it leaves no data.
    before = resident.position("craftsman")
    with pytest.raises(RuntimeError), transaction.atomic():
        _add(world, "乙")
        raise RuntimeError
    assert resident.position("craftsman")[0] == before[0]


@pytest.mark.django_db
def test_a_snapshot_is_reused_while_the_library_stands_still(world: World, django_assert_num_queries) -> None:
    first = _add(world, "甲")
    assert _ids() == [first.pk]
    snapshot = resident.snapshot_for("craftsman")
    # Unchanged library: the log position and the confirmation, nothing rebuilt.
    with django_assert_num_queries(2):
        assert _ids() == [first.pk]
    assert resident.snapshot_for("craftsman") is snapshot
    # A new craftsman moves the log; a small library is rebuilt in the next request.
    second = _add(world, "乙")
    assert set(_ids()) == {first.pk, second.pk}
    assert resident.snapshot_for("craftsman") is not snapshot


@pytest.mark.django_db
def test_the_resident_answer_is_the_database_answer_on_a_small_library(world: World, settings) -> None:
    for i, bio in enumerate([SPINDLE, "长期从事混凝土裂缝控制。", "主轴发热故障维修", "数控系统报警处理"]):
        _add(world, f"工匠{i}", bio=bio, region="330199", industry="C")
    from_memory = matching.match(text=QUERY, kind="craftsman", industry="C", region="330199")
    settings.ASSIST_RESIDENT_INDEX = False
    from_database = matching.match(text=QUERY, kind="craftsman", industry="C", region="330199")
    # Every matching document is retrieved here, so both rank the same candidates alike.
    assert [r.id for r in from_memory] == [r.id for r in from_database]
    assert [r.reasons for r in from_memory] == [r.reasons for r in from_database]


@pytest.mark.django_db
def test_confirmation_drops_withdrawn_and_newly_conflicting_craftsmen(world: World) -> None:
    """The snapshot is made stale by hand (its position rewritten), as a large library's is
    while its next build runs: the rows decide what may be shown."""
    kept = _add(world, "甲")
    withdrawn = _add(world, "乙")
    conflicted = _add(world, "丙")
    assert set(_ids()) == {kept.pk, withdrawn.pk, conflicted.pk}
    snapshot = resident.snapshot_for("craftsman")
    assert snapshot is not None
    Craftsman.objects.filter(pk=withdrawn.pk).update(active=False)
    Craftsman.objects.filter(pk=conflicted.pk).update(conflict_enterprise_ids=[world.enterprise_a.pk])
    stale = [r.id for r in snapshot.index.match(matching.MatchQuery(text=QUERY, kind="craftsman"))]
    assert set(stale) == {kept.pk, withdrawn.pk, conflicted.pk}  # the snapshot still holds them
    query = matching.MatchQuery(text=QUERY, kind="craftsman", enterprise_id=world.enterprise_a.pk)
    confirmed = resident.confirm("craftsman", snapshot.index.match(query), query)
    assert [r.id for r in confirmed] == [kept.pk]
    anyone = matching.MatchQuery(text=QUERY, kind="craftsman")
    assert {r.id for r in resident.confirm("craftsman", snapshot.index.match(anyone), anyone)} == {
        kept.pk,
        conflicted.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_a_large_library_builds_in_the_background_while_the_old_snapshot_serves(settings) -> None:
    """Above the synchronous limit nothing is built in the request: the first query is answered
    through the database index while a thread builds; once it is in, a change is served from
    the stale snapshot (confirmed: the withdrawn craftsman is gone at once) until the next
    build lands."""
    settings.ASSIST_RESIDENT_SYNC_LIMIT = 0
    world = build_world()
    first, second = _add(world, "甲"), _add(world, "乙")

    assert resident.snapshot_for("craftsman") is None  # none yet: a build was started
    assert set(_ids()) == {first.pk, second.pk}  # answered through the database index
    _wait_for_build()
    snapshot = resident.snapshot_for("craftsman")
    assert snapshot is not None and snapshot.documents == 2

    svc.craftsman_update(actor=world.users["district_admin"], craftsman=second, active=False)
    third = _add(world, "丙")
    # Stale: the old snapshot answers (no 丙 yet), confirmed against the rows (no 乙).
    assert _ids() == [first.pk]
    _wait_for_build()
    assert set(_ids()) == {first.pk, third.pk}
    assert resident.snapshot_for("craftsman").documents == 2  # type: ignore[union-attr]


def _wait_for_build() -> None:
    import threading

    for thread in threading.enumerate():
        if thread.name.startswith("assist-resident-"):
            thread.join(timeout=60)


@pytest.mark.django_db
def test_the_nightly_task_prunes_the_change_log_older_than_a_day(world: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from gonghui.assist.models import LibraryChange
    from gonghui.assist.tasks import prune_library_changes

    first = _add(world, "甲")
    assert _ids() == [first.pk]
    LibraryChange.objects.update(changed_at=timezone.now() - timedelta(days=2))
    old = LibraryChange.objects.count()
    recent = _add(world, "乙")
    fresh = LibraryChange.objects.count() - old
    assert old > 0 and fresh > 0
    assert prune_library_changes.delay().get() == old  # in-process without a broker
    assert LibraryChange.objects.count() == fresh
    assert set(_ids()) == {first.pk, recent.pk}  # the prune moved the position: rebuilt, not lost
