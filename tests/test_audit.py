"""The audit log records each write with its per-record outcome."""

import pytest
from django.contrib.auth import get_user_model

from records.audit import record_write
from records.models import AuditEntry


@pytest.mark.django_db
def test_a_write_is_logged_with_its_outcome_per_record():
    user = get_user_model().objects.create(username="ada")
    entry = record_write(
        user,
        "plant-events",
        AuditEntry.Action.UPSERT,
        [
            {
                "space": "plant",
                "externalId": "a",
                "succeeded": True,
                "changes": {"plant.Event": {"status": {"before": "open", "after": "closed"}}},
            },
            {"space": "plant", "externalId": "b", "succeeded": False, "error": "busy"},
        ],
        request_ids=["req-1", None],
    )
    entry.refresh_from_db()
    assert (entry.username, entry.stream, entry.outcome) == ("ada", "plant-events", "partial")
    assert entry.request_ids == ["req-1"]
    assert [(r.external_id, r.succeeded, r.error) for r in entry.records.all()] == [
        ("a", True, ""),
        ("b", False, "busy"),
    ]
    assert entry.records.get(external_id="a").changes["plant.Event"]["status"]["after"] == "closed"


@pytest.mark.django_db
@pytest.mark.parametrize(("failures", "outcome"), [(0, "succeeded"), (2, "failed")])
def test_the_outcome_says_whether_everything_or_nothing_succeeded(failures, outcome):
    records = [{"space": "s", "externalId": str(n), "succeeded": n >= failures} for n in range(2)]
    assert record_write(None, "s", AuditEntry.Action.DELETE, records).outcome == outcome
