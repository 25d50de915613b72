output "workload_identity_provider" {
  description = "The provider's resource name, GCP_WORKLOAD_IDENTITY_PROVIDER for google-github-actions/auth."
  value       = google_iam_workload_identity_pool_provider.main.name
}

output "attribute_condition" {
  description = "The CEL condition every GitHub token must meet."
  value       = google_iam_workload_identity_pool_provider.main.attribute_condition
}

output "publish_service_account" {
  description = "The account that pushes images (GCP_SERVICE_ACCOUNT of the publish job)."
  value       = google_service_account.main["publish"].email
}

output "deploy_service_account" {
  description = "The account that runs the migrations job and rolls out revisions."
  value       = google_service_account.main["deploy"].email
}

