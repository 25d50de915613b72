output "repository_id" {
  description = "The repository's name (GAR_REPOSITORY for the publish pipeline)."
  value       = google_artifact_registry_repository.main.repository_id
}

output "location" {
  description = "The repository's region (GAR_LOCATION for the publish pipeline)."
  value       = google_artifact_registry_repository.main.location
}

output "name" {
  description = "The repository's full resource name, for IAM grants."
  value       = google_artifact_registry_repository.main.name
}

output "url" {
  description = "Where images are pushed: <location>-docker.pkg.dev/<project>/<repository>."
  value       = "${var.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.main.repository_id}"
}
