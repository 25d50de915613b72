output "alloy_env" {
  description = "The environment alloy/cloudrun/config.alloy reads (sys.env), by variable name."
  sensitive   = true
  value = {
    GRAFANA_CLOUD_OTLP_ENDPOINT = data.grafana_cloud_stack.main.otlp_url
    # OTLP's basic-auth user is the stack's ID.
    GRAFANA_CLOUD_INSTANCE_ID     = data.grafana_cloud_stack.main.id
    GRAFANA_CLOUD_PROMETHEUS_URL  = data.grafana_cloud_stack.main.prometheus_remote_write_endpoint
    GRAFANA_CLOUD_PROMETHEUS_USER = tostring(data.grafana_cloud_stack.main.prometheus_user_id)
    GRAFANA_CLOUD_API_KEY         = grafana_cloud_access_policy_token.main.token
  }
}

output "folder_url" {
  description = "Where the dashboards are."
  value       = grafana_folder.main.url
}
