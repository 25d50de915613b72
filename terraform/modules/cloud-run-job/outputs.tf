output "name" {
  description = "The job's name (the deploy pipeline's migrations job)."
  value       = google_cloud_run_v2_job.main.name
}

output "service_account_email" {
  description = "The job's runtime identity."
  value       = module.identity.email
}

output "service_account_name" {
  description = "The job's runtime identity's resource name, for actAs grants."
  value       = module.identity.name
}
