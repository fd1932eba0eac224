"""The Azure Resource Graph queries of the fleet audit, as constants.

Two queries answer a whole fleet in ``ceil(registries / 1000) + 1`` requests:

- :data:`REGISTRIES_QUERY` returns **one row per registry** with everything the audit needs about
  it: the network properties, the SKU and role mode, the role assignments at (or below) its scope
  (a ``leftouter`` join with ``authorizationresources``, the one cross-table join Resource Graph
  allows) and the consumers that reference it (a ``leftouter`` join with container groups' image
  registry credentials, Machine Learning workspaces' ``containerRegistry`` and ACR tasks, matched
  by registry name, which is globally unique). Both joined sides are summarized by their key, so
  a registry never repeats and the row count is the registry count.
- :data:`INHERITED_ASSIGNMENTS_QUERY` returns the role assignments above registries (root,
  management group, subscription, resource group) for the built-in roles that grant registry
  data-plane access (``catalog.ROLES``); they apply to many registries and are few.

Both project ``id``, without which Resource Graph cannot page and answers ``resultTruncated``.
Operators and limits used are those documented in "Understanding the Azure Resource Graph query
language" (``join`` kinds ``leftouter``; at most three joins of which one cross-table; ``union``
within one table, at most three legs; at most two ``mv-expand``).

LocalAzure recognises these texts exactly (after :func:`normalize`) and answers from its state;
this module is stdlib-only so the emulator can import it without the Azure SDK.
"""

from __future__ import annotations

import re

from acr_trusted.catalog import ROLES

REGISTRY_TYPE = "microsoft.containerregistry/registries"
CONTAINER_GROUP_TYPE = "microsoft.containerinstance/containergroups"
ML_WORKSPACE_TYPE = "microsoft.machinelearningservices/workspaces"
TASK_TYPE = "microsoft.containerregistry/registries/tasks"
ROLE_ASSIGNMENT_TYPE = "microsoft.authorization/roleassignments"
_REGISTRY_PREFIX = (
    r"^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.containerregistry"
    r"/registries/[^/]+)"
)

REGISTRIES_QUERY = f"""
resources
| where type =~ '{REGISTRY_TYPE}'
| project id, name, subscriptionId, resourceGroup, location, sku,
    properties = pack(
        'loginServer', properties.loginServer,
        'publicNetworkAccess', properties.publicNetworkAccess,
        'networkRuleSet', properties.networkRuleSet,
        'networkRuleBypassOptions', properties.networkRuleBypassOptions,
        'networkRuleBypassAllowedForTasks', properties.networkRuleBypassAllowedForTasks,
        'roleAssignmentMode', properties.roleAssignmentMode,
        'privateEndpointConnections', properties.privateEndpointConnections),
    registryKey = tolower(id), registryName = tolower(name)
| join kind=leftouter (
    authorizationresources
    | where type =~ '{ROLE_ASSIGNMENT_TYPE}'
    | extend scope = tolower(tostring(properties.scope))
    | where scope contains '/providers/microsoft.containerregistry/registries/'
    | extend registryKey = extract(@'{_REGISTRY_PREFIX}', 1, scope)
    | summarize roleAssignments = make_list(pack(
        'id', id,
        'scope', scope,
        'principalId', tostring(properties.principalId),
        'roleDefinitionId', tostring(properties.roleDefinitionId))) by registryKey
  ) on registryKey
| join kind=leftouter (
    resources
    | where type =~ '{CONTAINER_GROUP_TYPE}'
    | mv-expand credential = properties.imageRegistryCredentials
    | extend server = tolower(tostring(credential.server))
    | where server contains '.azurecr.'
    | project registryName = tostring(split(server, '.')[0]), consumer = pack(
        'kind', 'aci',
        'id', id,
        'identity', identity,
        'credentialIdentity', tostring(credential.identity),
        'usesPassword', isnotempty(tostring(credential.username)))
    | union (
        resources
        | where type =~ '{ML_WORKSPACE_TYPE}' and isnotempty(tostring(properties.containerRegistry))
        | extend registryId = tostring(properties.containerRegistry)
        | project registryName = tolower(tostring(split(registryId, '/')[8])), consumer = pack(
            'kind', 'ml',
            'id', id,
            'identity', identity,
            'primaryUserAssignedIdentity', tostring(properties.primaryUserAssignedIdentity)))
    | union (
        resources
        | where type =~ '{TASK_TYPE}'
        | project registryName = tolower(tostring(split(id, '/')[8])), consumer = pack(
            'kind', 'acr-tasks',
            'id', id,
            'identity', identity,
            'agentPoolName', tostring(properties.agentPoolName)))
    | summarize consumers = make_list(consumer) by registryName
  ) on registryName
| project id, name, subscriptionId, resourceGroup, location, sku, properties,
    roleAssignments, consumers
"""

_ROLE_GUIDS = ", ".join(f"'{r.guid}'" for r in ROLES)

INHERITED_ASSIGNMENTS_QUERY = f"""
authorizationresources
| where type =~ '{ROLE_ASSIGNMENT_TYPE}'
| extend scope = tolower(tostring(properties.scope)),
    roleDefinitionId = tolower(tostring(properties.roleDefinitionId))
| where scope !contains '/providers/' or scope startswith '/providers/microsoft.management/'
| where extract(@'([0-9a-f-]{{36}})$', 1, roleDefinitionId) in ({_ROLE_GUIDS})
| project id, scope, principalId = tostring(properties.principalId), roleDefinitionId
"""

QUERIES = (REGISTRIES_QUERY, INHERITED_ASSIGNMENTS_QUERY)


def normalize(query: str) -> str:
    """The query with runs of whitespace collapsed, so reformatting does not change identity."""
    return re.sub(r"\s+", " ", query).strip()
