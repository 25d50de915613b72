resource "google_project_service" "main" {
  for_each = var.services

  project = var.project_id
  service = each.value
  # Turning an API off on destroy could break whatever else the project runs.
  disable_on_destroy = false
}
