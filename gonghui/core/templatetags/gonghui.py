from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """``{{ mapping|get_item:key }}`` — dictionary look-up with a variable key."""
    return mapping.get(key) if mapping else None
