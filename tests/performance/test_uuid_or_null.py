"""private.performance_uuid_or_null reads a system id as uuid on every supported PostgreSQL."""

import uuid

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

VALUE = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (str(VALUE), VALUE),
        (str(VALUE).upper(), VALUE),
        ("{" + str(VALUE) + "}", VALUE),
        (VALUE.hex, VALUE),
        ("a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", VALUE),
        ("Report Writer", None),
        ("{" + str(VALUE), None),
        (str(VALUE)[:-1], None),
        ("", None),
        (None, None),
    ],
)
def test_a_system_id_is_a_uuid_or_null(text, expected):
    with connection.cursor() as cursor:
        cursor.execute("select private.performance_uuid_or_null(%s)", [text])
        assert cursor.fetchone()[0] == expected
