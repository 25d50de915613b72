output "services" {
  description = "The APIs enabled, for modules that must wait for them (depends_on)."
  value       = [for service in google_project_service.main : service.service]
}
