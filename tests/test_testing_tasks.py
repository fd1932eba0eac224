"""ACR tasks, runs and logs in LocalAzure, driven by the real azure-mgmt-containerregistrytasks."""

from __future__ import annotations

import pytest
from azure.core import PipelineClient
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.containerregistrytasks import ContainerRegistryTasksMgmtClient
from azure.mgmt.containerregistrytasks import models as tm

from acr_trusted.testing import LocalAzure


@pytest.fixture
def tasks(local_azure: LocalAzure) -> ContainerRegistryTasksMgmtClient:
    return local_azure.client(ContainerRegistryTasksMgmtClient, retry_backoff_factor=0.01)


def _create(tasks: ContainerRegistryTasksMgmtClient, **identity: str) -> tm.Task:
    return tasks.tasks.create(
        "rg",
        "contoso",
        "hello",
        tm.Task(
            location="westus",
            identity=tm.IdentityProperties(**identity) if identity else None,
            properties=tm.TaskProperties(
                platform=tm.PlatformProperties(os="Linux"),
                step=tm.DockerBuildStep(image_names=["app:v1"], docker_file_path="Dockerfile"),
                credentials=tm.Credentials(
                    custom_registries={
                        "other.azurecr.io": tm.CustomRegistryCredentials(identity="[system]")
                    }
                ),
            ),
        ),
    )


def test_create_get_hides_credentials_details_show_them(
    local_azure: LocalAzure, tasks: ContainerRegistryTasksMgmtClient
) -> None:
    local_azure.add_registry("contoso")
    created = _create(tasks, type="SystemAssigned")
    assert created.identity is not None
    assert created.identity.principal_id
    got = tasks.tasks.get("rg", "contoso", "hello").as_dict()
    assert got["properties"]["credentials"] == {
        "customRegistries": {"other.azurecr.io": None},
        "sourceRegistry": None,
    }
    details = tasks.tasks.get_details("rg", "contoso", "hello").as_dict()
    assert details["properties"]["credentials"]["customRegistries"] == {
        "other.azurecr.io": {"identity": "[system]"}
    }


def test_update_merges_custom_registries_and_replaces_source(
    local_azure: LocalAzure, tasks: ContainerRegistryTasksMgmtClient
) -> None:
    local_azure.add_registry("contoso")
    _create(tasks)
    update = tm.TaskUpdateParameters(
        properties=tm.TaskPropertiesUpdateParameters(
            credentials=tm.Credentials(
                source_registry=tm.SourceRegistryCredentials(login_mode="None"),
                custom_registries={
                    "contoso.azurecr.io": tm.CustomRegistryCredentials(identity="[system]")
                },
            )
        )
    )
    tasks.tasks.update("rg", "contoso", "hello", update)
    stored = local_azure.task("contoso", "hello")["properties"]["credentials"]
    assert stored["sourceRegistry"] == {"loginMode": "None"}
    assert set(stored["customRegistries"]) == {"other.azurecr.io", "contoso.azurecr.io"}


def test_system_identity_is_stable_across_updates(
    local_azure: LocalAzure, tasks: ContainerRegistryTasksMgmtClient
) -> None:
    local_azure.add_registry("contoso")
    first = _create(tasks, type="SystemAssigned").identity
    again = tasks.tasks.update(
        "rg",
        "contoso",
        "hello",
        tm.TaskUpdateParameters(identity=tm.IdentityProperties(type="SystemAssigned")),
    ).identity
    assert first is not None
    assert again is not None
    assert first.principal_id == again.principal_id
    assert local_azure.state.principal(first.principal_id or "") is not None


def test_unknown_task_is_404(
    local_azure: LocalAzure, tasks: ContainerRegistryTasksMgmtClient
) -> None:
    local_azure.add_registry("contoso")
    with pytest.raises(ResourceNotFoundError):
        tasks.tasks.get_details("rg", "contoso", "nope1")


def test_bad_body_is_400(local_azure: LocalAzure, tasks: ContainerRegistryTasksMgmtClient) -> None:
    local_azure.add_registry("contoso")
    with pytest.raises(HttpResponseError) as caught:
        tasks.tasks.update("rg", "contoso", "hello", {"properties": {"credentials": {"x": 1}}})
    assert caught.value.status_code in (400, 404)


def _run_to_end(tasks: ContainerRegistryTasksMgmtClient, task_id: str) -> tuple[list[str], tm.Run]:
    run = tasks.registries.schedule_run("rg", "contoso", tm.TaskRunRequest(task_id=task_id))
    statuses = [run.properties.status]
    for _ in range(5):
        if statuses[-1] in ("Succeeded", "Failed"):
            break
        run = tasks.runs.get("rg", "contoso", run.name)
        statuses.append(run.properties.status)
    return statuses, run


def test_run_moves_one_state_per_get(
    local_azure: LocalAzure, tasks: ContainerRegistryTasksMgmtClient
) -> None:
    ref = local_azure.add_registry("contoso")
    task = local_azure.add_task(ref, "hello")
    statuses, run = _run_to_end(tasks, task["id"])
    assert statuses == ["Queued", "Running", "Succeeded"]
    assert run.name == "ca1"


def test_failed_run_log_is_served_without_bearer_token(
    local_azure: LocalAzure, tasks: ContainerRegistryTasksMgmtClient
) -> None:
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    task = local_azure.add_task(
        ref,
        "hello",
        credentials={"customRegistries": {"contoso.azurecr.io": {"identity": "[system]"}}},
    )
    statuses, run = _run_to_end(tasks, task["id"])
    assert statuses[-1] == "Failed"
    assert "exchange API response code: 403 Forbidden" in str(run.properties.run_error_message)
    link = tasks.runs.get_log_sas_url("rg", "contoso", run.name).log_link
    assert link is not None
    plain = PipelineClient(link, connection_verify=local_azure.ca_bundle)
    response = plain.send_request(HttpRequest("GET", link))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "exchange API response code: 403 Forbidden" in response.text()
    forged = plain.send_request(HttpRequest("GET", link.replace("sig=", "sig=0")))
    assert forged.status_code == 401


@pytest.mark.parametrize(
    ("credentials", "registry", "status", "text"),
    [
        pytest.param({}, {}, "Succeeded", "was successful", id="run token, open registry"),
        pytest.param(
            {},
            {"public_network_access": "Disabled"},
            "Failed",
            "denied: client with IP",
            id="run token never bypasses",
        ),
        pytest.param(
            {"sourceRegistry": {"loginMode": "None"}},
            {},
            "Failed",
            "unauthorized:",
            id="auth-mode None without a credential (azure-docs#96504)",
        ),
        pytest.param(
            {},
            {"role_assignment_mode": "AbacRepositoryPermissions"},
            "Failed",
            "unauthorized:",
            id="ABAC registries take the run token's default access away",
        ),
    ],
)
def test_run_outcomes(
    local_azure: LocalAzure,
    tasks: ContainerRegistryTasksMgmtClient,
    credentials: dict[str, object],
    registry: dict[str, str],
    status: str,
    text: str,
) -> None:
    ref = local_azure.add_registry("contoso", **registry)
    task = local_azure.add_task(ref, "hello", credentials=credentials)
    statuses, run = _run_to_end(tasks, task["id"])
    assert statuses[-1] == status
    assert text in local_azure.run_log(run.id or "")


def test_agent_pool_run_uses_the_private_endpoint(
    local_azure: LocalAzure, tasks: ContainerRegistryTasksMgmtClient
) -> None:
    ref = local_azure.add_registry("contoso", public_network_access="Disabled", private_endpoints=1)
    task = local_azure.add_task(ref, "hello", agent_pool="pool1")
    statuses, _ = _run_to_end(tasks, task["id"])
    assert statuses[-1] == "Succeeded"


def test_user_assigned_identity_credential_by_client_id(
    local_azure: LocalAzure, tasks: ContainerRegistryTasksMgmtClient
) -> None:
    ref = local_azure.add_registry("contoso")
    uami = local_azure.add_user_assigned_identity("builder")
    local_azure.add_role_assignment(ref, uami.principal_id, "AcrPush")
    task = local_azure.add_task(
        ref,
        "hello",
        identity=uami.resource_id,
        credentials={
            "sourceRegistry": {"loginMode": "None"},
            "customRegistries": {"contoso.azurecr.io": {"identity": uami.client_id}},
        },
    )
    statuses, _ = _run_to_end(tasks, task["id"])
    assert statuses[-1] == "Succeeded"
