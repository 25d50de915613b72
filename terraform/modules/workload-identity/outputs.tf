output "email" {
  description = "The service account's email, for a workload's service_account."
  value       = google_service_account.main.email
}

output "name" {
  description = "The service account's resource name, for grants on the account itself (actAs)."
  value       = google_service_account.main.name
}

output "member" {
  description = "serviceAccount:<email>, for IAM grants."
  value       = google_service_account.main.member
}
