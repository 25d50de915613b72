resource "google_service_account" "main" {
  project      = var.project_id
  account_id   = var.account_id
  display_name = var.display_name
  description  = "Runtime identity; every role it holds is granted by terraform/modules/workload-identity."
}

resource "google_secret_manager_secret_iam_member" "main" {
  for_each = var.secrets

  project   = var.project_id
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.main.member
}

resource "google_storage_bucket_iam_member" "main" {
  for_each = var.buckets

  bucket = each.value
  # Objects only: read, create, overwrite, delete, list. No bucket settings, no IAM.
  role   = "roles/storage.objectUser"
  member = google_service_account.main.member
}

resource "google_project_iam_member" "main" {
  for_each = var.cloud_sql_instances

  # Cloud SQL grants only at project level; the condition narrows it to one instance.
  project = var.project_id
  role    = "roles/cloudsql.client"
  member  = google_service_account.main.member

  condition {
    title       = "only-${each.value}"
    description = "Connect to the Cloud SQL instance ${each.value} only."
    expression  = "resource.name == 'projects/${var.project_id}/instances/${each.value}' && resource.type == 'sqladmin.googleapis.com/Instance'"
  }
}

resource "google_service_account_iam_member" "main" {
  count = var.enable_url_signing ? 1 : 0

  # Signing URLs without a key: the identity signs blobs as itself through the IAM Credentials API.
  service_account_id = google_service_account.main.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.main.member
}
