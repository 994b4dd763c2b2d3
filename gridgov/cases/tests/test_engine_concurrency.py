"""Two handlers acting on one case at the same moment (PostgreSQL: real threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from gridgov.cases.models import Case, CaseEvent, Status
from gridgov.cases.services import (
    CaseError,
    ConcurrentChangeError,
    case_accept,
    case_dispatch,
)
from gridgov.cases.tests.helpers_engine import World, local, report, world_fixture  # noqa: F401

T0 = local(2025, 9, 22, 10, 0)


@pytest.mark.django_db(transaction=True)
def test_two_threads_one_winner(audit_chain_genesis: None, world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the sequential test covers it there")
    case = report(world, now=T0)
    seen = case.version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(actor: object, department_id: int) -> None:
        try:
            barrier.wait()
            case_dispatch(
                actor=actor,
                case_id=case.pk,
                department_id=department_id,
                expected_version=seen,
                now=T0,
            )
            outcomes.append("won")
        except ConcurrentChangeError:
            outcomes.append("told")
        except CaseError as error:
            outcomes.append(f"other:{error.code}")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=(world.operator, world.urban.pk)),
        threading.Thread(target=act, args=(world.operator, world.housing.pk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["told", "won"]
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED
    assert case.version == seen + 1
    assert case.events.filter(action=CaseEvent.Action.DISPATCHED).count() == 1


@pytest.mark.django_db
def test_sequential_calls_with_the_same_version(world: World) -> None:
    case = report(world, now=T0)
    seen = case.version
    case_accept(actor=world.handler, case_id=case.pk, expected_version=seen, now=T0)
    with pytest.raises(ConcurrentChangeError):
        case_accept(actor=world.operator, case_id=case.pk, expected_version=seen, now=T0)
    assert Case.objects.get(pk=case.pk).events.filter(action=CaseEvent.Action.ACCEPTED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_get_distinct_numbers(audit_chain_genesis: None, world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers")
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def file(index: int) -> None:
        try:
            barrier.wait()
            report(world, now=T0, description=f"第{index}条", submission_key=f"k{index % 3}")
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=file, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    numbers = list(Case.objects.order_by("number").values_list("number", flat=True))
    assert numbers == ["20250922000001", "20250922000002", "20250922000003"]
