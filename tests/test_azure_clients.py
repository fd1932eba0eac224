from __future__ import annotations

import logging

import pytest
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.containerregistry import ContainerRegistryManagementClient

import acr_trusted
from acr_trusted.azure.clients import (
    CLOUDS,
    Connection,
    RedactingNetworkTraceLoggingPolicy,
    as_registry_ref,
)
from acr_trusted.cli import main
from acr_trusted.commands import _azure as cli_azure
from acr_trusted.ids import RegistryRef
from acr_trusted.testing import LocalAzure


class _NoCredential:
    def get_token(self, *scopes: str, **kwargs: object) -> object:
        raise AssertionError("no token should be requested")


@pytest.mark.parametrize(
    ("cloud", "endpoint", "scope"),
    [
        pytest.param(
            None,
            "https://management.azure.com",
            "https://management.azure.com/.default",
            id="public",
        ),
        pytest.param(
            "AzureChinaCloud",
            "https://management.chinacloudapi.cn",
            "https://management.chinacloudapi.cn/.default",
            id="china",
        ),
        pytest.param(
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net",
            "https://management.core.usgovcloudapi.net/.default",
            id="usgov",
        ),
    ],
)
def test_cloud_defaults(cloud: str | None, endpoint: str, scope: str) -> None:
    """Each cloud brings its ARM endpoint and token scope."""
    connection = Connection.resolve(credential=_NoCredential(), cloud=cloud)  # type: ignore[arg-type]
    assert connection.endpoint == endpoint
    assert connection.credential_scopes == (scope,)


def test_endpoint_override_keeps_cloud_scope() -> None:
    """A custom endpoint (a proxy, the emulator) still asks for the cloud's token scope."""
    connection = Connection.resolve(
        credential=_NoCredential(),  # type: ignore[arg-type]
        endpoint="https://127.0.0.1:8443/",
        client_options={"credential_scopes": ["api://x/.default"], "retry_total": 1},
    )
    assert connection.endpoint == "https://127.0.0.1:8443"
    assert connection.credential_scopes == ("api://x/.default",)
    assert connection.client_options == {"retry_total": 1}


def test_unknown_cloud() -> None:
    with pytest.raises(ValueError, match="unknown cloud 'Mars'; expected one of: AzureCloud"):
        Connection.resolve(credential=_NoCredential(), cloud="Mars")  # type: ignore[arg-type]
    assert set(CLOUDS) == {"AzureCloud", "AzureChinaCloud", "AzureUSGovernment"}


def test_default_credential_is_default_azure_credential() -> None:
    """No credential given: DefaultAzureCredential (constructed, never called here)."""
    from azure.identity import DefaultAzureCredential

    assert isinstance(Connection.resolve().credential, DefaultAzureCredential)


def test_client_options_reach_every_client(local_azure: LocalAzure) -> None:
    """One Connection builds both SDK clients; both reach the emulator through its CA."""
    ref = local_azure.add_registry("contoso")
    connection = Connection.resolve(**local_azure.kwargs)
    registries = connection.client(ContainerRegistryManagementClient, ref.subscription_id)
    authorization = connection.client(AuthorizationManagementClient, ref.subscription_id)
    for client in (registries, authorization):
        assert isinstance(client._config.logging_policy, RedactingNetworkTraceLoggingPolicy)
    assert registries.registries.get(ref.resource_group, ref.name).name == "contoso"
    assert list(authorization.role_assignments.list_for_scope(ref.id)) == []


def test_as_registry_ref() -> None:
    ref = RegistryRef("s", "rg", "contoso")
    assert as_registry_ref(ref) is ref
    assert as_registry_ref(ref.id) == ref
    with pytest.raises(ValueError, match="registry resource ID"):
        as_registry_ref("contoso")


def _traced(az: LocalAzure) -> dict[str, object]:
    """SDK kwargs with azure-core's full network trace on (it logs every request header)."""
    return {**az.kwargs, "client_options": {**az.client_options, "logging_enable": True}}


def test_stock_network_trace_would_leak_the_token(
    local_azure: LocalAzure, caplog: pytest.LogCaptureFixture
) -> None:
    """Why the redacting policy exists: azure-core's own trace logs the bearer token."""
    token = local_azure.credential.get_token("https://management.azure.com/.default").token
    ref = local_azure.add_registry("leaky")
    client = local_azure.client(ContainerRegistryManagementClient, logging_enable=True)
    with caplog.at_level(logging.DEBUG):
        client.registries.get(ref.resource_group, ref.name)
    assert token in caplog.text


def test_token_never_appears_in_logs_or_output(
    local_azure: LocalAzure,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full run with DEBUG logging and network tracing on never writes the bearer token."""
    token = local_azure.credential.get_token("https://management.azure.com/.default").token
    ref = local_azure.add_registry(
        "contoso", public_network_access="Disabled", network_rule_bypass_options="None"
    )
    pid = local_azure.add_managed_identity("aci-puller")
    traced = _traced(local_azure)
    monkeypatch.setattr(cli_azure, "make_credential", lambda: local_azure.credential)
    cli = ["--registry", ref.id, "--endpoint", local_azure.endpoint]
    cli += ["--ca-bundle", local_azure.ca_bundle]

    with caplog.at_level(logging.DEBUG):
        results = [
            acr_trusted.enable_trusted_access(ref, include_tasks=True, **traced),
            acr_trusted.grant_pull(ref, pid, **traced),
            acr_trusted.check_bypass(ref, service="aci", principal_id=pid, **traced),
            acr_trusted.disable_trusted_access(ref, **traced),
            acr_trusted.revoke_access(ref, pid, **traced),
        ]
        codes = [
            main(["status", *cli]),
            main(["enable", *cli, "--include-tasks"]),
            main(["grant", *cli, "--principal", pid, "--output", "json"]),
            main(["check", *cli, "--service", "aci", "--principal", pid]),
            main(["disable", *cli]),
        ]
        local_azure.inject(method="GET", path_contains="/registries/", status=403)
        codes.append(main(["status", *cli]))

    captured = capsys.readouterr()
    assert codes == [0, 0, 0, 0, 0, 3]  # the last status meets an injected 403
    assert "Request headers" in caplog.text  # tracing really was on
    assert "'Authorization': 'REDACTED'" in caplog.text
    for text in (caplog.text, captured.out, captured.err, repr(results)):
        assert token not in text
    assert token not in repr(local_azure.credential)
