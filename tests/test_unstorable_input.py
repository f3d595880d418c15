"""Security: input that cannot be stored or sent (NUL characters, unpaired surrogates, dates past year 9999)
gets a 4xx with a message at its field, or a 404 for a path that cannot exist, never a server error. Run
on PostgreSQL too: only there does a NUL reach the database and fail."""

import html

import pytest
from django.urls import Resolver404, resolve

from cdftypes.values import InvalidValue, normalize_value, parse_json
from emulator.demo import CONTAINERS
from records.browse import saved_views
from records.edit import record_form
from records.query import filter_json
from records.query.filter_tree import FilterError

from .conftest import SIGNED_IN_AS_ADMIN

UNSTORABLE = "a string holds a NUL"


@pytest.mark.parametrize(
    "text", ['"\\ud800"', '{"a\\u0000": 1}', '["\\uDFFF"]', '["\ud800"]', b'"\xed\xa0\x80"']
)
def test_json_with_a_nul_or_an_unpaired_surrogate_is_invalid(text):
    with pytest.raises(ValueError):
        parse_json(text)


def test_json_with_surrogate_pairs_and_escaped_backslashes_is_kept():
    assert parse_json('["\\ud83d\\ude00", "\\\\u0000"]') == ["\U0001f600", "\\u0000"]


@pytest.mark.parametrize(
    ("prop_type", "value"),
    [
        ({"type": "json"}, {"a": "\ud800"}),
        ({"type": "text", "maxTextSize": 10}, "\ud800"),
        ({"type": "text"}, "\x00"),
    ],
)
def test_text_and_json_properties_refuse_nul_and_unpaired_surrogates(prop_type, value):
    with pytest.raises(InvalidValue, match="must not contain NUL characters or unpaired surrogates"):
        normalize_value(prop_type, value, "p")


@pytest.mark.parametrize("name", ["filter", "filter JSON"])
def test_a_filter_with_an_unpaired_surrogate_is_refused(name):
    text = '{"equals": {"property": ["plant", "Equipment", "name"], "value": "\\ud800"}}'
    with pytest.raises(FilterError, match=f"{name} is not valid JSON: {UNSTORABLE}"):
        filter_json.from_text(text, CONTAINERS["items"], name)


@pytest.mark.parametrize(
    "path",
    [
        "/streams/a\x00b/",
        "/streams/a\x00b/views/",
        "/streams/equipment/records/plant/eq\x00",
        "/streams/equipment/records/pl\x00nt/eq-001",
        "/streams/equipment/edit/plant/eq\x00",
        "/streams/equipment/history/plant/eq\x00",
        "/jobs/1/fail\x00ed-rows",
    ],
)
def test_a_path_with_a_nul_names_nothing(path):
    with pytest.raises(Resolver404):
        resolve(path)
    assert resolve(path.replace("\x00", "")).url_name


def test_ids_no_record_can_have_are_not_read_from_cdf():
    """Such ids (a record's link or "write a corrected copy" of one) name no record: CDF, which would
    refuse the read, is not asked."""
    assert record_form.is_record_id("plant", "eq-001")
    for space, external_id in [("plant", "a\x00"), ("plant", "x" * 257), ("plant", ""), ("plant\n", "x")]:
        assert not record_form.is_record_id(space, external_id)


def test_a_saved_views_name_cannot_hold_a_nul():
    assert saved_views.check_name("a\x00b") == "A view's name cannot hold a NUL character."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query_string", "field", "message"),
    [
        ("stream=a%00b", "stream", "No entry has a NUL character in it: remove it."),
        ("user=a%00b", "user", "No entry has a NUL character in it: remove it."),
        ("until=9999-12-31", "until", "out of range: use a date from 0001-01-02 to 9999-12-30."),
        ("since=0001-01-01", "since", "out of range"),
        ("since=10000-01-01", "since", "is not a date"),
    ],
)
def test_the_audit_filter_says_what_it_cannot_search_for_at_the_field(client, query_string, field, message):
    response = client.get(f"/audit/?{query_string}", headers=SIGNED_IN_AS_ADMIN)
    text = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert f'id="audit-{field}-error"' in text and message in text
