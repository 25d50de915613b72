output "instance_name" {
  description = "The instance's name, for IAM conditions."
  value       = google_sql_database_instance.main.name
}

output "connection_name" {
  description = "<project>:<region>:<instance>, what Cloud Run's /cloudsql volume and the Auth Proxy connect to."
  value       = google_sql_database_instance.main.connection_name
}

output "max_connections" {
  description = "PostgreSQL's max_connections as set on the instance."
  value       = var.max_connections
}

output "database_url" {
  description = "DATABASE_URL for the app: the generated password, and the connector's socket as the host."
  value       = local.database_url
  sensitive   = true
}
