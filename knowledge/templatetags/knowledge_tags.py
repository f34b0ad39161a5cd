from django import template

from knowledge import search

register = template.Library()


@register.filter
def highlight(text):
    """ts_headline output with our markers, as escaped HTML with <mark> around the matches."""
    return search.highlight(text)
