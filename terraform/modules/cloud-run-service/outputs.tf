output "name" {
  description = "The service's name (the deploy pipeline's --service)."
  value       = google_cloud_run_v2_service.main.name
}

output "uri" {
  description = "The service's own run.app URL (tagged revisions get <tag>--- in front of its host)."
  value       = google_cloud_run_v2_service.main.uri
}

output "service_account_email" {
  description = "The runtime identity's email (the deploy pipeline acts as it when it deploys)."
  value       = module.identity.email
}

output "service_account_name" {
  description = "The runtime identity's resource name, for actAs grants."
  value       = module.identity.name
}
