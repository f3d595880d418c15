"""Submitting the app's HTML forms from tests the way a browser does: the fields a form would send."""

from html.parser import HTMLParser

import requests


class FormFields(HTMLParser):
    """The fields of the n-th post <form> of a page (not counting the sign-out form), as a browser sends them
    (checked boxes only, the selected option, textareas' text), and its action."""

    def __init__(self, index: int):
        super().__init__()
        self.index, self.seen, self.inside = index, -1, False
        self.fields: list[tuple[str, str]] = []
        self.action = ""
        self._select = None
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post" and attrs.get("action") != "/signout/":
            self.seen += 1
            self.inside = self.seen == self.index
            if self.inside:
                self.action = attrs.get("action") or ""
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append(
                (name, attrs.get("value") or ("on" if attrs.get("type") == "checkbox" else ""))
            )
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "chosen": None}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["chosen"] = value
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            select, self._select = self._select, None
            chosen = select["chosen"] if select["chosen"] is not None else select["first"]
            self.fields.append((select["name"], chosen or ""))
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea[1]
            self.fields.append((self._textarea[0], text[1:] if text.startswith("\n") else text))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


def form_fields(html: str, index: int = 0) -> tuple[str, list[tuple[str, str]]]:
    """(action, fields) of the index-th post form of the page."""
    parser = FormFields(index)
    parser.feed(html)
    parser.close()
    return parser.action, parser.fields


def replaced(fields: list[tuple[str, str]], **changes) -> list[tuple[str, str]]:
    """The fields with some values replaced (a list gives one field per item; None removes the field).
    Names with colons or dots are given as keyword arguments through a dict: replaced(f, **{...})."""
    kept = [(name, value) for name, value in fields if name not in changes]
    for name, value in changes.items():
        if value is None:
            continue
        kept += [(name, item) for item in (value if isinstance(value, list) else [value])]
    return kept


def post_form(session: requests.Session, base_url: str, page: requests.Response, index: int = 0, **changes):
    """Submit a form of `page` with some fields changed (`step`/`action` name the button pressed)."""
    action, fields = form_fields(page.text, index)
    url = base_url + action if action.startswith("/") else page.url
    return session.post(url, data=replaced(fields, **changes), headers={"Referer": page.url}, timeout=60)
