"""The knowledge fixtures (`client_as`, `make_entry`) serve the security tests too."""

from tests.knowledge.conftest import client_as, make_entry  # noqa: F401
