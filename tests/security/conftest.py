"""The knowledge fixture `make_entry` serves the security tests too."""

from tests.knowledge.conftest import make_entry  # noqa: F401
