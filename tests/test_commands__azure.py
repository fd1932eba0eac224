from __future__ import annotations

import argparse

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

from acr_trusted.commands._azure import (
    EXIT_AZURE,
    EXIT_USAGE,
    UsageError,
    add_azure_arguments,
    connection_kwargs,
    describe_azure_error,
    posture_as_dict,
    registry_ref,
    render_mapping,
    run_azure,
)
from acr_trusted.errors import RegistryNotFound
from acr_trusted.ids import RegistryRef
from acr_trusted.posture import NetworkPosture

SUB = "00000000-0000-0000-0000-000000000001"
RID = RegistryRef(SUB, "rg", "contoso").id


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_azure_arguments(parser)
    return parser.parse_args(list(argv))


def test_registry_by_id_any_case() -> None:
    args = _parse("--registry", RID.replace("resourceGroups", "resourcegroups"))
    assert registry_ref(args).id == RID


def test_registry_by_name() -> None:
    args = _parse("--registry", "contoso", "-g", "rg", "--subscription", SUB)
    assert registry_ref(args).id == RID


def test_bad_registry_name_is_usage_error() -> None:
    args = _parse("--registry", "no_underscores", "-g", "rg", "--subscription", SUB)
    with pytest.raises(UsageError, match="registry name 'no_underscores'"):
        registry_ref(args)


def test_connection_kwargs_carry_hidden_options() -> None:
    """--endpoint and --ca-bundle reach the SDK; the credential defaults to None."""
    args = _parse("--registry", RID, "--endpoint", "https://127.0.0.1:1", "--ca-bundle", "/ca.pem")
    assert connection_kwargs(args) == {
        "credential": None,
        "endpoint": "https://127.0.0.1:1",
        "cloud": "AzureCloud",
        "client_options": {"connection_verify": "/ca.pem"},
    }


def test_hidden_options_stay_out_of_help() -> None:
    parser = argparse.ArgumentParser()
    add_azure_arguments(parser)
    assert "--endpoint" not in parser.format_help()
    assert "--ca-bundle" not in parser.format_help()


def _error(status: int, code: str | None, message: str) -> HttpResponseError:
    error = HttpResponseError(message=message)
    error.status_code = status
    if code:
        error.error = type("E", (), {"code": code})()  # type: ignore[assignment]
    return error


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        pytest.param(
            _error(409, "Conflict", "(Conflict) it clashed\nCode: Conflict\nMessage: it clashed"),
            "Azure error (HTTP 409, Conflict): (Conflict) it clashed",
            id="http",
        ),
        pytest.param(
            ClientAuthenticationError("DefaultAzureCredential failed\nlong details"),
            "authentication failed: DefaultAzureCredential failed "
            "(run 'az login' or set a credential)",
            id="auth",
        ),
        pytest.param(
            ServiceRequestError("connection refused"),
            "Azure error: connection refused",
            id="network",
        ),
    ],
)
def test_describe_azure_error(exc: Exception, line: str) -> None:
    """Each azure-core error becomes one line with what a user can act on."""
    assert describe_azure_error(exc) == line


@pytest.mark.parametrize(
    ("raised", "code", "line"),
    [
        pytest.param(UsageError("bad"), EXIT_USAGE, "acr-trusted x: error: bad", id="usage"),
        pytest.param(
            RegistryNotFound("/r"),
            EXIT_AZURE,
            "acr-trusted x: error: registry not found: /r",
            id="ours",
        ),
        pytest.param(
            ServiceRequestError("refused"),
            EXIT_AZURE,
            "acr-trusted x: error: Azure error: refused",
            id="azure",
        ),
    ],
)
def test_run_azure_maps_errors(
    capsys: pytest.CaptureFixture[str], raised: Exception, code: int, line: str
) -> None:
    def body() -> int:
        raise raised

    assert run_azure("x", body) == code
    assert capsys.readouterr().err == line + "\n"


def test_unexpected_errors_are_not_swallowed() -> None:
    """A bug is not an Azure error: it propagates instead of exiting 3."""

    def body() -> int:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        run_azure("x", body)


def test_posture_rendering() -> None:
    data = posture_as_dict(NetworkPosture(public_network_access="Disabled", ip_rules=("1.2.3.4",)))
    assert data["restrictions"] == ["public-network-access-disabled"]
    text = render_mapping({"a": None, "bb": True, "c": ["x", "y"], "d": []})
    assert text.splitlines() == ["a   (not set)", "bb  yes", "c   x, y", "d   -"]
