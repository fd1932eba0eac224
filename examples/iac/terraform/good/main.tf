# The registries of ../bad/main.tf, done right: trusted services and the nightly task get
# through the private endpoint, the build agent gets an ABAC repository role, and the dev
# registry that needs a firewall is Premium. acr-trusted-lint reports nothing.
terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.81.0" # network_rule_bypass_for_tasks_enabled, role_assignment_mode
    }
  }
}

provider "azurerm" {
  features {}
}

variable "resource_group_name" {
  type = string
}

variable "location" {
  type    = string
  default = "westeurope"
}

variable "private_endpoint_subnet_id" {
  type = string
}

variable "build_agent_principal_id" {
  type = string
}

resource "azurerm_container_registry" "prod" {
  name                                  = "contosoprodacr"
  resource_group_name                   = var.resource_group_name
  location                              = var.location
  sku                                   = "Premium"
  admin_enabled                         = false
  public_network_access_enabled         = false
  network_rule_bypass_option            = "AzureServices"
  network_rule_bypass_for_tasks_enabled = true
  role_assignment_mode                  = "AbacRepositoryPermissions"
}

resource "azurerm_private_endpoint" "prod_acr" {
  name                = "pe-contosoprodacr"
  resource_group_name = var.resource_group_name
  location            = var.location
  subnet_id           = var.private_endpoint_subnet_id

  private_service_connection {
    name                           = "registry"
    private_connection_resource_id = azurerm_container_registry.prod.id
    subresource_names              = ["registry"]
    is_manual_connection           = false
  }
}

resource "azurerm_container_registry_task" "nightly_base_image" {
  name                  = "nightly-base-image"
  container_registry_id = azurerm_container_registry.prod.id

  identity {
    type = "SystemAssigned"
  }

  platform {
    os           = "Linux"
    architecture = "amd64"
  }

  docker_step {
    dockerfile_path      = "Dockerfile"
    context_path         = "https://github.com/contoso/base-images.git#main"
    context_access_token = "" # public repository
    image_names          = ["base/runtime:{{.Run.ID}}"]
    push_enabled         = true
  }

  registry_credential {
    custom {
      login_server = azurerm_container_registry.prod.login_server
      identity     = "[system]"
    }
  }

  timer_trigger {
    name     = "nightly"
    schedule = "0 2 * * *"
    enabled  = true
  }
}

resource "azurerm_role_assignment" "build_agent_repository_reader" {
  scope                = azurerm_container_registry.prod.id
  role_definition_name = "Container Registry Repository Reader"
  principal_id         = var.build_agent_principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_container_registry" "dev" {
  name                = "contosodevacr"
  resource_group_name = var.resource_group_name
  location            = var.location
  sku                 = "Premium"

  network_rule_set {
    default_action = "Deny"

    ip_rule {
      action   = "Allow"
      ip_range = "203.0.113.0/24"
    }
  }
}
