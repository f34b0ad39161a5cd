from django import template

from console.jsontable import key_values

register = template.Library()


@register.inclusion_tag("console/_key_values.html")
def json_table(value, caption=""):
    """A JSON value as a key/value table (console.jsontable)."""
    return {"rows": key_values(value), "caption": caption}
