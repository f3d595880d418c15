from django import template
from django.utils.safestring import mark_safe

from records.web.presentation import value_html

register = template.Library()


@register.filter
def as_html(display: dict, compact: bool = False) -> str:
    """A displayed property value (browsing.display_value) as escaped HTML."""
    return mark_safe(value_html(display, compact))
