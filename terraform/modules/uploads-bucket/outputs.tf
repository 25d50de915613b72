output "name" {
  description = "The bucket's name (GCS_BUCKET for the app)."
  value       = google_storage_bucket.main.name
}

output "url" {
  description = "The bucket's gs:// URL."
  value       = google_storage_bucket.main.url
}
