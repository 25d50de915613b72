# Grafana Cloud: the dashboards in a folder of their own, and a write-only token
# for the Alloy sidecar.

data "grafana_cloud_stack" "main" {
  slug = var.stack_slug
}

resource "grafana_folder" "main" {
  title = var.folder_title
  uid   = var.folder_uid
  # Never lose hand-made dashboards someone saved in the folder.
  prevent_destroy_if_not_empty = true
}

resource "grafana_dashboard" "main" {
  for_each = fileset(var.dashboards_dir, "*.json")

  folder = grafana_folder.main.uid
  # One stack can hold every environment: each gets its own copy of a dashboard.
  config_json = jsonencode(merge(
    jsondecode(file("${var.dashboards_dir}/${each.value}")),
    { uid = "${jsondecode(file("${var.dashboards_dir}/${each.value}")).uid}-${var.dashboard_uid_suffix}" },
  ))
  overwrite = true
  message   = "Provisioned by Terraform from alloy/dashboards/${each.value}."
}

resource "grafana_cloud_access_policy" "main" {
  region       = data.grafana_cloud_stack.main.region_slug
  name         = var.access_policy_name
  display_name = "Alloy sidecar (${var.access_policy_name})"
  # Write telemetry; read nothing.
  scopes = ["metrics:write", "logs:write", "traces:write"]

  realm {
    type       = "stack"
    identifier = data.grafana_cloud_stack.main.id
  }
}

resource "grafana_cloud_access_policy_token" "main" {
  region           = data.grafana_cloud_stack.main.region_slug
  access_policy_id = grafana_cloud_access_policy.main.policy_id
  name             = var.access_policy_name
  display_name     = "Alloy sidecar (${var.access_policy_name})"
}
