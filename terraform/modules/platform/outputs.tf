output "project_id" {
  description = "The environment's project (the deploy pipeline's --project)."
  value       = var.project_id
}

output "region" {
  description = "The environment's region (the deploy pipeline's --region)."
  value       = var.region
}

output "service_name" {
  description = "The Cloud Run service (the deploy pipeline's --service)."
  value       = module.service.name
}

output "service_url" {
  description = "The service's own run.app URL; a tagged revision's is <tag>---<this host>."
  value       = module.service.uri
}

output "migrations_job_name" {
  description = "The Cloud Run job the deploy pipeline runs (migrate --noinput) before each rollout."
  value       = module.manage.name
}

output "smoke_test_token_secret" {
  description = "The Secret Manager secret holding the canary smoke test's API token (projects/<project>/secrets/<name>)."
  value       = module.secrets.ids["smoke-test-token"]
}

output "workload_identity_provider" {
  description = "The Workload Identity provider GitHub Actions authenticates through."
  value       = module.github.workload_identity_provider
}

output "publish_service_account" {
  description = "The CI account that pushes images."
  value       = module.github.publish_service_account
}

output "deploy_service_account" {
  description = "The CI account that runs the migrations job, rolls out revisions and judges them on Cloud Monitoring."
  value       = module.github.deploy_service_account
}

output "runtime_service_account" {
  description = "The service's runtime identity."
  value       = module.service.service_account_email
}

output "migrations_service_account" {
  description = "The migrations job's runtime identity (also runs cleanup_uploads)."
  value       = module.manage.service_account_email
}

output "artifact_registry" {
  description = "Where images are pushed: location, repository and URL."
  value = {
    location   = module.registry.location
    repository = module.registry.repository_id
    url        = module.registry.url
  }
}

output "github_actions_variables" {
  description = "The variables ci/README.md's \"Repository settings\" asks for, with this environment's values."
  value = {
    GCP_WORKLOAD_IDENTITY_PROVIDER = module.github.workload_identity_provider
    GCP_SERVICE_ACCOUNT            = module.github.publish_service_account
    GCP_PROJECT_ID                 = var.project_id
    GAR_LOCATION                   = module.registry.location
    GAR_REPOSITORY                 = module.registry.repository_id
    GCP_DEPLOY_SERVICE_ACCOUNT     = module.github.deploy_service_account
    CLOUD_RUN_REGION               = var.region
    CLOUD_RUN_SERVICE              = module.service.name
    CLOUD_RUN_MIGRATIONS_JOB       = module.manage.name
    SMOKE_TOKEN_SECRET             = module.secrets.ids["smoke-test-token"]
  }
}

output "load_balancer_ip" {
  description = "The load balancer's IPv4 address (Cloudflare's records point at it)."
  value       = module.load_balancer.ip_address
}

output "app_url" {
  description = "The app's public URL."
  value       = local.app_origin
}

output "cdn_base_url" {
  description = "Where downloads are served from."
  value       = module.load_balancer.cdn_base_url
}

output "database_connection_name" {
  description = "The Cloud SQL instance's connection name (for cloud-sql-proxy)."
  value       = module.database.connection_name
}

output "uploads_bucket" {
  description = "The uploads bucket."
  value       = module.uploads.name
}

output "grafana_folder_url" {
  description = "The Grafana folder holding this environment's dashboards."
  value       = module.grafana.folder_url
}

output "swarm_ip_address" {
  description = "The Swarm VM's static IP (null without one)."
  value       = one(module.swarm[*].ip_address)
}

output "swarm_iap_tunnel_command" {
  description = "How to reach the Swarm manager's SSH through IAP, for swarm-deploy (null without a VM)."
  value       = one(module.swarm[*].iap_tunnel_command)
}
