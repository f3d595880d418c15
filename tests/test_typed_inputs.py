"""The typed input of a property, shared by the record editor and the query builder."""

import re

import pytest
from django.template import Context, Template

INPUT = Template(
    '{% load typed_inputs %}{% typed_input "plant.E.p" "f-p" "p" prop_type text error required %}'
)


def rendered(prop_type: dict, text: str = "", error: str = "", required: bool = False) -> str:
    return INPUT.render(Context({"prop_type": prop_type, "text": text, "error": error, "required": required}))


def control(html: str) -> str:
    return re.search(r"<(input|select|textarea)[^>]*>", html, re.S).group(0)


@pytest.mark.parametrize(
    ("prop_type", "attributes"),
    [
        ({"type": "int32"}, ['type="number"', 'step="1"', 'min="-2147483648"', 'max="2147483647"']),
        ({"type": "int64"}, ['type="number"', 'step="1"']),
        ({"type": "float64"}, ['type="number"', 'step="any"']),
        ({"type": "date"}, ['type="date"']),
        ({"type": "timestamp"}, ['type="text"', 'pattern="']),
        ({"type": "text"}, ['type="text"']),
    ],
)
def test_each_type_gets_its_input(prop_type, attributes):
    html = control(rendered(prop_type, "1"))
    assert 'name="value:plant.E.p"' in html and 'id="f-p"' in html and 'value="1"' in html
    for attribute in attributes:
        assert attribute in html


def test_booleans_and_enums_are_selects_with_the_value_chosen():
    html = rendered({"type": "boolean"}, "false")
    assert re.findall(r'<option value="(\w+)" ?(selected)?', html) == [("true", ""), ("false", "selected")]
    enum = {"type": "enum", "values": {"LOW": {"name": "Low"}, "HIGH": {}}}
    html = rendered(enum, "HIGH")
    assert (
        '<option value="HIGH" selected>HIGH</option>' in html and '<option value="LOW" >Low</option>' in html
    )
    # A value the definition does not list is still shown, not silently replaced.
    assert '<option value="GONE" selected>GONE</option>' in rendered(enum, "GONE")


def test_json_is_a_textarea_and_a_direct_relation_two_inputs():
    assert "<textarea" in rendered(
        {"type": "json"}, '{"a": 1}'
    ) and "{&quot;a&quot;: 1}</textarea>" in rendered({"type": "json"}, '{"a": 1}')
    html = rendered({"type": "direct"}, "plant:eq:1")
    assert 'name="space:plant.E.p" value="plant"' in html and 'name="xid:plant.E.p" value="eq:1"' in html
    assert "p: space" in html and "p: external id" in html


def test_the_error_is_tied_to_the_input_and_the_text_is_escaped():
    html = rendered({"type": "text"}, '"><script>', error="Too <long>", required=True)
    assert 'aria-invalid="true" aria-describedby="f-p-error"' in html and "required" in control(html)
    assert '<small id="f-p-error" class="field-error">Too &lt;long&gt;</small>' in html
    assert "<script>" not in html and 'value="&quot;&gt;&lt;script&gt;"' in html
