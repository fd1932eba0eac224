from __future__ import annotations

import time

from acr_trusted.testing._credential import LocalCredential


def test_issues_one_token_that_it_accepts() -> None:
    """get_token and get_token_info return the same unexpired token; only it is accepted."""
    credential = LocalCredential()
    token = credential.get_token("https://management.azure.com/.default")
    info = credential.get_token_info("https://management.azure.com/.default")
    assert token.token == info.token
    assert token.expires_on > time.time() + 60
    assert credential.accepts(f"Bearer {token.token}")
    assert credential.accepts(f"bearer {token.token}")
    assert not credential.accepts(None)
    assert not credential.accepts(token.token)
    assert not credential.accepts("Bearer wrong")
    assert not LocalCredential().accepts(f"Bearer {token.token}")


def test_repr_hides_the_token() -> None:
    """Printing the credential never shows the token."""
    credential = LocalCredential()
    assert credential.get_token().token not in repr(credential)
    credential.close()
