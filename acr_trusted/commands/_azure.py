"""What every Azure-backed command shares: the registry and connection options, output, errors.

``add_azure_arguments`` declares ``--registry <id | name> [-g RG] [--subscription S]``,
``--output table|json``, ``--cloud`` and two hidden options for tests and ``--local`` runbooks
(``--endpoint``, the ARM base URL, and ``--ca-bundle``, the CA that signed its certificate).
``run_azure`` turns every failure into one line on stderr and an exit code: 2 for bad usage,
3 for an Azure error. No traceback, and nothing from a request (headers, tokens) is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from acr_trusted.errors import AcrTrustedError
from acr_trusted.ids import RegistryRef
from acr_trusted.posture import NetworkPosture

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_AZURE = 3


class UsageError(Exception):
    """Bad command-line input discovered after parsing (exit 2)."""


def add_azure_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        required=True,
        metavar="ID_OR_NAME",
        help="registry resource ID, or its name together with --resource-group",
    )
    parser.add_argument("-g", "--resource-group", help="resource group (with a registry name)")
    parser.add_argument(
        "--subscription",
        help="subscription ID (with a registry name; default: $AZURE_SUBSCRIPTION_ID)",
    )
    parser.add_argument("--output", "-o", choices=("table", "json"), default="table")
    parser.add_argument(
        "--cloud",
        choices=("AzureCloud", "AzureChinaCloud", "AzureUSGovernment"),
        default="AzureCloud",
    )
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--ca-bundle", help=argparse.SUPPRESS)


def registry_ref(args: argparse.Namespace) -> RegistryRef:
    """The registry named by ``--registry`` (an ID) or name + ``-g`` + subscription."""
    value: str = args.registry.strip()
    if value.startswith("/"):
        try:
            return RegistryRef.parse(value)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    subscription = args.subscription or os.environ.get("AZURE_SUBSCRIPTION_ID")
    if not args.resource_group:
        raise UsageError(f"--registry {value!r} is a name: also give --resource-group")
    if not subscription:
        raise UsageError(
            f"--registry {value!r} is a name: also give --subscription or set AZURE_SUBSCRIPTION_ID"
        )
    try:
        return RegistryRef.parse(
            f"/subscriptions/{subscription}/resourceGroups/{args.resource_group}"
            f"/providers/Microsoft.ContainerRegistry/registries/{value}"
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def make_credential() -> Any:
    """The CLI's credential: ``None`` lets the SDK use ``DefaultAzureCredential``."""
    return None


def connection_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for every acr_trusted SDK call made by a command."""
    options: dict[str, Any] = {}
    if args.ca_bundle:
        options["connection_verify"] = args.ca_bundle
    return {
        "credential": make_credential(),
        "endpoint": args.endpoint,
        "cloud": args.cloud,
        "client_options": options,
    }


def posture_as_dict(posture: NetworkPosture) -> dict[str, Any]:
    """The posture as read, plus the conclusions a reader wants at a glance."""
    return {
        "sku": posture.sku,
        "publicNetworkAccess": posture.public_network_access,
        "networkRuleSet.defaultAction": posture.default_action,
        "networkRuleSet.ipRules": list(posture.ip_rules),
        "privateEndpointConnections": posture.private_endpoint_count,
        "networkRuleBypassOptions": posture.network_rule_bypass_options,
        "networkRuleBypassAllowedForTasks": posture.network_rule_bypass_allowed_for_tasks,
        "roleAssignmentMode": posture.role_assignment_mode,
        "restricted": posture.is_restricted,
        "restrictions": [r.value for r in posture.restrictions],
        "trustedServicesAllowed": posture.trusted_services_allowed,
        "tasksBypassAllowed": posture.tasks_bypass_allowed,
    }


def render_mapping(data: Mapping[str, Any], indent: str = "") -> str:
    width = max((len(k) for k in data), default=0)
    return "\n".join(f"{indent}{key:<{width}}  {_plain(value)}" for key, value in data.items())


def _plain(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def emit(args: argparse.Namespace, data: Mapping[str, Any], text: str) -> None:
    print(json.dumps(data, indent=2) if args.output == "json" else text)


def _one_line(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()
    return first[0] if first else type(exc).__name__


def describe_azure_error(exc: Exception) -> str:
    """One line for an azure-core error: status, ARM code, and the first line of its message."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

    if isinstance(exc, ClientAuthenticationError):
        return f"authentication failed: {_one_line(exc)} (run 'az login' or set a credential)"
    if isinstance(exc, HttpResponseError):
        code = exc.error.code if exc.error is not None else None
        status = f"HTTP {exc.status_code}" if exc.status_code else "request failed"
        return f"Azure error ({status}{', ' + code if code else ''}): {_one_line(exc)}"
    return f"Azure error: {_one_line(exc)}"


def run_azure(command: str, action: Callable[[], int]) -> int:
    """Run a command body; map every expected failure to one stderr line and an exit code."""
    from azure.core.exceptions import AzureError

    prefix = f"acr-trusted {command}: error:"
    try:
        return action()
    except UsageError as exc:
        print(f"{prefix} {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AcrTrustedError as exc:
        print(f"{prefix} {_one_line(exc)}", file=sys.stderr)
        return EXIT_AZURE
    except AzureError as exc:
        print(f"{prefix} {describe_azure_error(exc)}", file=sys.stderr)
        return EXIT_AZURE
