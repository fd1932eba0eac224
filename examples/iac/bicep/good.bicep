// The same registries as bad.bicep, done right: trusted services and the nightly task get
// through the private endpoint, the build agent gets an ABAC repository role, and the dev
// registry that needs a firewall is Premium. acr-trusted-lint reports nothing.
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
    networkRuleBypassOptions: 'AzureServices'
    networkRuleBypassAllowedForTasks: true
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
    credentials: {
      customRegistries: {
        'contosoprodacr.azurecr.io': {
          identity: '[system]'
        }
      }
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

resource buildAgentRepositoryReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: acr
  name: guid(acr.id, buildAgentPrincipalId, 'Container Registry Repository Reader')
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      'b93aa761-3e63-49ed-ac28-beffa264f7ac' // Container Registry Repository Reader
    )
    principalId: buildAgentPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource devAcr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: 'contosodevacr'
  location: location
  sku: {
    name: 'Premium'
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
