"""The token credential that LocalAzure hands out, and the check of the tokens it issued.

The token is random per emulator and is never recorded, logged or echoed: the credential's
``repr`` hides it, and :attr:`LocalAzure.requests` stores no headers.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions

TOKEN_LIFETIME_S = 3600


class LocalCredential:
    """A ``TokenCredential`` (and ``SupportsTokenInfo``) for one LocalAzure instance."""

    def __init__(self) -> None:
        self._token = secrets.token_urlsafe(32)

    def __repr__(self) -> str:
        return "LocalCredential(<token hidden>)"

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + TOKEN_LIFETIME_S)

    def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        return AccessTokenInfo(self._token, int(time.time()) + TOKEN_LIFETIME_S)

    def accepts(self, authorization: str | None) -> bool:
        """True if ``authorization`` is ``Bearer <the token this credential issued>``."""
        if not authorization:
            return False
        scheme, _, token = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), self._token)

    def close(self) -> None:
        """``TokenCredential`` clients may call ``close``; there is nothing to release."""
