"""The audit log records each write with its per-record outcome."""

import csv
import html
import io
import json
import re
from datetime import timedelta

import pytest
import requests
from django.contrib.auth import get_user_model
from django.utils import timezone

from records.audit.log import record_write
from records.models import AuditEntry
from tests.conftest import SIGNED_IN_AS_ADMIN, SIGNED_IN_AS_EDITOR, SIGNED_IN_AS_VIEWER


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


# --- the audit pages ---------------------------------------------------------------------

AUDIT_WRITES = [
    # (user, stream, external id, days ago)
    ("eddie", "equipment", "eq-001", 0),
    ("eddie", "alarms", "alarm-00001", 3),
    ("ada", "equipment", "eq-002", 0),
]


@pytest.fixture
def logged_writes(app):
    users = {name: get_user_model().objects.create(username=name) for name in ("eddie", "ada")}
    for username, stream, external_id, days in AUDIT_WRITES:
        entry = record_write(
            users[username],
            stream,
            AuditEntry.Action.UPDATE,
            [
                {
                    "space": "plant",
                    "externalId": external_id,
                    "succeeded": True,
                    "changes": {
                        "plant.Equipment": {"site": {"before": "Bergen", "after": f"<b>{username}</b>"}}
                    },
                }
            ],
            request_ids=[f"req-{external_id}"],
        )
        entry.at = timezone.now() - timedelta(days=days)
        entry.save()


def audit_page(app, headers, query="") -> requests.Response:
    return requests.get(f"{app.url}/audit/{query}", headers=headers, timeout=30)


def listed(page: requests.Response) -> list[str]:
    return re.findall(r'<p><a href="[^"]+">plant:([\w-]+)</a>', page.text)


def test_admins_see_everyones_writes_and_others_their_own(app, logged_writes):
    admin = audit_page(app, SIGNED_IN_AS_ADMIN)
    assert admin.status_code == 200 and listed(admin) == ["eq-002", "eq-001", "alarm-00001"]  # newest first
    own = audit_page(app, SIGNED_IN_AS_EDITOR)
    assert listed(own) == ["eq-001", "alarm-00001"] and "administrators see everyone" in own.text
    # A user filter does not widen what a non-admin sees.
    assert listed(audit_page(app, SIGNED_IN_AS_EDITOR, "?user=ada")) == ["eq-001", "alarm-00001"]
    assert listed(audit_page(app, SIGNED_IN_AS_VIEWER)) == []
    # Values are escaped.
    assert "&lt;b&gt;eddie&lt;/b&gt;" in own.text and "<b>eddie</b>" not in own.text


def test_the_audit_log_filters_by_user_stream_and_date_and_exports_csv(app, logged_writes):
    assert listed(audit_page(app, SIGNED_IN_AS_ADMIN, "?user=ada")) == ["eq-002"]
    assert listed(audit_page(app, SIGNED_IN_AS_ADMIN, "?stream=alarms")) == ["alarm-00001"]
    today = timezone.localdate().isoformat()
    assert listed(audit_page(app, SIGNED_IN_AS_ADMIN, f"?since={today}")) == ["eq-002", "eq-001"]
    bad = audit_page(app, SIGNED_IN_AS_ADMIN, "?until=yesterday")
    assert bad.status_code == 400 and "“yesterday” is not a date: use YYYY-MM-DD." in html.unescape(bad.text)

    exported = audit_page(app, SIGNED_IN_AS_ADMIN, "?stream=equipment&format=csv")
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["user"], r["externalId"], r["requestIds"]) for r in rows] == [
        ("ada", "eq-002", "req-eq-002"),
        ("eddie", "eq-001", "req-eq-001"),
    ]
    assert json.loads(rows[0]["changes"]) == {
        "plant.Equipment": {"site": {"before": "Bergen", "after": "<b>ada</b>"}}
    }


def test_a_records_history_lists_its_writes(app, logged_writes):
    url = f"{app.url}/streams/equipment/history/plant/eq-001"
    history = requests.get(url, headers=SIGNED_IN_AS_ADMIN, timeout=30)
    assert history.status_code == 200
    assert history.text.count("<tr>") - 1 == 1 and "req-eq-001" in history.text
    other = requests.get(url.replace("eq-001", "eq-002"), headers=SIGNED_IN_AS_EDITOR, timeout=30)
    assert "No writes of this record are logged for you" in other.text
