"""A confirm-then-apply post as the browser makes it: the confirmation page first, then its
form posted back with the token the page issued (console.confirmations)."""


def confirmed_post(client, url: str, data: dict, **kwargs):
    """POST `data` (a bulk action's, `confirm` added) with the token the confirmation page of
    the same action and selection issues to this client."""
    first = {k: v for k, v in data.items() if k not in ("confirm", "confirmation")}
    page = client.post(url, first)
    assert page.status_code == 200, f"no confirmation page: {page.status_code}"
    token = page.context["confirmation"]
    return client.post(url, {**first, "confirm": "yes", "confirmation": token}, **kwargs)
