provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = {
    app         = "file-drop"
    environment = local.environment
    managed-by  = "terraform"
  }
}

# Credentials come from the environment, never from files in the repository:
# CLOUDFLARE_API_TOKEN (Zone DNS edit and Zone Settings edit on the zone),
# GRAFANA_AUTH (a stack service-account token: folders and dashboards) and
# GRAFANA_CLOUD_ACCESS_POLICY_TOKEN (stacks:read, accesspolicies:write).
provider "cloudflare" {}

provider "grafana" {
  url = "https://${var.grafana_stack_slug}.grafana.net"
}
