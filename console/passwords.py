"""The console's password rule, decided by the database's own functions.

`validate_password_strength` and `is_common_password` are the source of truth; the reasons
below only put the rule into words for the form.
"""

from django.db import connection

RULE_TEXT = (
    "At least 12 characters, with upper-case and lower-case letters and a digit; "
    "common passwords are refused."
)


def password_problems(password: str) -> list[str]:
    """What is wrong with this password, in words; empty when the database accepts it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select public.validate_password_strength(%s), public.is_common_password(%s)",
            [password, password],
        )
        strong, common = cursor.fetchone()
    if strong and not common:
        return []
    problems = []
    if len(password) < 12:
        problems.append("Use at least 12 characters.")
    if not any(c.isupper() for c in password):
        problems.append("Add an upper-case letter.")
    if not any(c.islower() for c in password):
        problems.append("Add a lower-case letter.")
    if not any(c.isdigit() for c in password):
        problems.append("Add a digit.")
    if common:
        problems.append("This password is too common; choose one that is harder to guess.")
    return problems or ["This password does not meet the password rule."]
