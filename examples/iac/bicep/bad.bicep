// A production registry behind a private endpoint, written the way it often is -- and broken:
//   ACRT001  the bypass is None, so Defender, ACI, Machine Learning and ACR import are locked out
//   ACRT002  a nightly ACR task builds into the registry, but the tasks bypass is off
//   ACRT007  ABAC role mode ignores the AcrPull assignment below
//   ACRT003  the dev registry has a firewall on the Standard SKU
// `acr-trusted-lint --fix` rewrites the two literals of ACRT001 and ACRT002.
targetScope = 'resourceGroup'

param location string = resourceGroup().location
param privateEndpointSubnetId string
param buildAgentPrincipalId string

resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: 'contosoprodacr'
  location: location
  sku: {
    name: 'Premium'
  }
  properties: {
    adminUserEnabled: false
    publicNetworkAccess: 'Disabled'
    networkRuleBypassOptions: 'None'
    networkRuleBypassAllowedForTasks: false
    roleAssignmentMode: 'AbacRepositoryPermissions'
  }
}

resource acrPrivateEndpoint 'Microsoft.Network/privateEndpoints@2023-11-01' = {
  name: 'pe-contosoprodacr'
  location: location
  properties: {
    subnet: {
      id: privateEndpointSubnetId
    }
    privateLinkServiceConnections: [
      {
        name: 'registry'
        properties: {
          privateLinkServiceId: acr.id
          groupIds: [
            'registry'
          ]
        }
      }
    ]
  }
}

resource nightlyBaseImage 'Microsoft.ContainerRegistry/registries/tasks@2025-03-01-preview' = {
  parent: acr
  name: 'nightly-base-image'
  location: location
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    status: 'Enabled'
    platform: {
      os: 'Linux'
      architecture: 'amd64'
    }
    step: {
      type: 'Docker'
      dockerFilePath: 'Dockerfile'
      contextPath: 'https://github.com/contoso/base-images.git#main'
      imageNames: [
        'base/runtime:{{.Run.ID}}'
      ]
      isPushEnabled: true
    }
    trigger: {
      timerTriggers: [
        {
          name: 'nightly'
          schedule: '0 2 * * *'
          status: 'Enabled'
        }
      ]
    }
  }
}

resource buildAgentPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: acr
  name: guid(acr.id, buildAgentPrincipalId, 'AcrPull')
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      '7f951dda-4ed3-4680-a7ca-43fe172d538d'
    )
    principalId: buildAgentPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource devAcr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: 'contosodevacr'
  location: location
  sku: {
    name: 'Standard'
  }
  properties: {
    networkRuleSet: {
      defaultAction: 'Deny'
      ipRules: [
        {
          action: 'Allow'
          value: '203.0.113.0/24'
        }
      ]
    }
  }
}
