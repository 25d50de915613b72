output "ids" {
  description = "Each secret's resource ID (projects/<project>/secrets/<name>), by name."
  value       = { for name, secret in google_secret_manager_secret.main : name => secret.id }
}
