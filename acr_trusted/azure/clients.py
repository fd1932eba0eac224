"""Credentials and SDK clients: the one place acr-trusted builds them.

Every SDK function accepts the same connection keywords (``credential``, ``endpoint``, ``cloud``,
``client_options``); ``Connection.resolve`` turns them into one value, and ``Connection.client``
builds any azure-mgmt client from it, so a sovereign cloud, a test emulator or a proxy is set
once and reaches every client alike.

Token safety: azure-core's ``NetworkTraceLoggingPolicy`` (turned on by ``logging_enable=True``)
writes every request header, ``Authorization`` included, to the DEBUG log. Clients built here get
a subclass that masks that header first, so turning tracing on cannot leak a bearer token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import field, frozen
from azure.core import AzureClouds
from azure.core.credentials import TokenCredential
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import NetworkTraceLoggingPolicy
from azure.core.pipeline.transport import HttpRequest as LegacyHttpRequest
from azure.core.rest import HttpRequest
from azure.mgmt.core.tools import get_arm_endpoints

from acr_trusted.ids import RegistryRef

CLOUDS: Mapping[str, AzureClouds] = {
    "AzureCloud": AzureClouds.AZURE_PUBLIC_CLOUD,
    "AzureChinaCloud": AzureClouds.AZURE_CHINA_CLOUD,
    "AzureUSGovernment": AzureClouds.AZURE_US_GOVERNMENT,
}
"""Cloud names as ``az cloud list`` spells them."""

DEFAULT_CLOUD = "AzureCloud"

ClientT = TypeVar("ClientT")


class RedactingNetworkTraceLoggingPolicy(NetworkTraceLoggingPolicy):
    """Network tracing that never writes the ``Authorization`` header."""

    def on_request(self, request: PipelineRequest[HttpRequest | LegacyHttpRequest]) -> None:
        headers = request.http_request.headers
        secret = headers.get("Authorization")
        if secret is None:
            super().on_request(request)
            return
        headers["Authorization"] = "REDACTED"
        try:
            super().on_request(request)
        finally:
            headers["Authorization"] = secret


def as_registry_ref(registry: RegistryRef | str) -> RegistryRef:
    """Accept a ``RegistryRef`` or a registry resource ID (``ValueError`` if malformed)."""
    return registry if isinstance(registry, RegistryRef) else RegistryRef.parse(registry)


def default_credential(cloud: str = DEFAULT_CLOUD) -> TokenCredential:
    """``DefaultAzureCredential`` pointed at the cloud's Entra ID authority."""
    from azure.identity import AzureAuthorityHosts, DefaultAzureCredential

    authority = {
        "AzureChinaCloud": AzureAuthorityHosts.AZURE_CHINA,
        "AzureUSGovernment": AzureAuthorityHosts.AZURE_GOVERNMENT,
    }.get(cloud, AzureAuthorityHosts.AZURE_PUBLIC_CLOUD)
    return DefaultAzureCredential(authority=authority)


def _options(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return dict(value or {})


@frozen
class Connection:
    """Where and as whom to call Azure Resource Manager."""

    credential: TokenCredential = field(repr=False)
    endpoint: str
    credential_scopes: tuple[str, ...]
    client_options: Mapping[str, Any] = field(factory=dict, converter=_options, repr=False)

    @classmethod
    def resolve(
        cls,
        *,
        credential: TokenCredential | None = None,
        endpoint: str | None = None,
        cloud: str | None = None,
        client_options: Mapping[str, Any] | None = None,
    ) -> Connection:
        """Apply the defaults: public Azure, ``DefaultAzureCredential``, the cloud's ARM URL.

        Raises:
            ValueError: ``cloud`` is not one of ``CLOUDS``.
        """
        cloud_name = cloud or DEFAULT_CLOUD
        if cloud_name not in CLOUDS:
            raise ValueError(f"unknown cloud {cloud_name!r}; expected one of: {', '.join(CLOUDS)}")
        arm = get_arm_endpoints(CLOUDS[cloud_name])
        options = dict(client_options or {})
        scopes = tuple(options.pop("credential_scopes", None) or arm["credential_scopes"])
        return cls(
            credential=credential if credential is not None else default_credential(cloud_name),
            endpoint=(endpoint or arm["resource_manager"]).rstrip("/"),
            credential_scopes=scopes,
            client_options=options,
        )

    def client(self, client_type: type[ClientT], subscription_id: str) -> ClientT:
        """Build an azure-mgmt client (any of them: they share this constructor shape)."""
        options = dict(self.client_options)
        options.setdefault("logging_policy", RedactingNetworkTraceLoggingPolicy(**options))
        return client_type(  # type: ignore[call-arg]
            self.credential,
            subscription_id,
            base_url=self.endpoint,
            credential_scopes=list(self.credential_scopes),
            **options,
        )
