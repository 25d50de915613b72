output "project_id" {
  description = "The environment's project (the deploy pipeline's --project)."
  value       = module.platform.project_id
}

output "region" {
  description = "The environment's region (the deploy pipeline's --region)."
  value       = module.platform.region
}

output "service_name" {
  description = "The Cloud Run service (the deploy pipeline's --service)."
  value       = module.platform.service_name
}

output "service_url" {
  description = "The service's own run.app URL; a tagged revision's is <tag>---<this host>."
  value       = module.platform.service_url
}

output "migrations_job_name" {
  description = "The Cloud Run job the deploy pipeline runs (migrate --noinput) before each rollout."
  value       = module.platform.migrations_job_name
}

output "smoke_test_token_secret" {
  description = "The Secret Manager secret holding the canary smoke test's API token (projects/<project>/secrets/<name>)."
  value       = module.platform.smoke_test_token_secret
}

output "workload_identity_provider" {
  description = "The Workload Identity provider GitHub Actions authenticates through."
  value       = module.platform.workload_identity_provider
}

output "publish_service_account" {
  description = "The CI account that pushes images."
  value       = module.platform.publish_service_account
}

output "deploy_service_account" {
  description = "The CI account that runs the migrations job and rolls out revisions."
  value       = module.platform.deploy_service_account
}

output "runtime_service_account" {
  description = "The service's runtime identity."
  value       = module.platform.runtime_service_account
}

output "migrations_service_account" {
  description = "The migrations job's runtime identity (also runs cleanup_uploads)."
  value       = module.platform.migrations_service_account
}

output "artifact_registry" {
  description = "Where images are pushed: location, repository and URL."
  value       = module.platform.artifact_registry
}

output "github_actions_variables" {
  description = "The variables ci/README.md's \"Repository settings\" asks for, with this environment's values."
  value       = module.platform.github_actions_variables
}

output "load_balancer_ip" {
  description = "The load balancer's IPv4 address (Cloudflare's records point at it)."
  value       = module.platform.load_balancer_ip
}

output "app_url" {
  description = "The app's public URL."
  value       = module.platform.app_url
}

output "cdn_base_url" {
  description = "Where downloads are served from."
  value       = module.platform.cdn_base_url
}

output "database_connection_name" {
  description = "The Cloud SQL instance's connection name (for cloud-sql-proxy)."
  value       = module.platform.database_connection_name
}

output "uploads_bucket" {
  description = "The uploads bucket."
  value       = module.platform.uploads_bucket
}

output "grafana_folder_url" {
  description = "The Grafana folder holding this environment's dashboards."
  value       = module.platform.grafana_folder_url
}

output "swarm_ip_address" {
  description = "The Swarm VM's static IP (null without one)."
  value       = module.platform.swarm_ip_address
}

output "swarm_iap_tunnel_command" {
  description = "How to reach the Swarm manager's SSH through IAP, for swarm-deploy (null without a VM)."
  value       = module.platform.swarm_iap_tunnel_command
}
