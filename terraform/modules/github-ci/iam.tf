# What each CI account may do, on the resource itself wherever IAM allows.

# publish: push images to this one repository.
resource "google_artifact_registry_repository_iam_member" "main" {
  project    = var.project_id
  location   = var.artifact_registry_location
  repository = var.artifact_registry_repository
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.main["publish"].member
}

# deploy: new revisions, tags and traffic on this one service...
resource "google_cloud_run_v2_service_iam_member" "main" {
  project  = var.project_id
  location = var.region
  name     = var.cloud_run_service
  role     = "roles/run.developer"
  member   = google_service_account.main["deploy"].member
}

# ...and point this one job (the migrations) at a release and run it.
resource "google_cloud_run_v2_job_iam_member" "main" {
  project  = var.project_id
  location = var.region
  name     = var.migrations_job
  role     = "roles/run.developer"
  member   = google_service_account.main["deploy"].member
}

# Deploying a revision or updating a job runs it as the workload's identity:
# actAs on exactly those identities.
resource "google_service_account_iam_member" "act_as" {
  for_each = {
    service = var.service_runtime_account
    job     = var.job_runtime_account
  }

  service_account_id = each.value
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.main["deploy"].member
}

# deploy: the smoke test's API token.
resource "google_secret_manager_secret_iam_member" "main" {
  project   = var.project_id
  secret_id = var.smoke_test_token_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.main["deploy"].member
}

# Project level, read-only: Cloud Run's long-running operations, revisions and
# executions are not resources IAM can be granted on one by one, and Cloud
# Monitoring's time series exist only per project.
# The canary controller runs as deploy and reads both.
resource "google_project_iam_member" "main" {
  for_each = {
    run        = "roles/run.viewer"
    monitoring = "roles/monitoring.viewer"
  }

  project = var.project_id
  role    = each.value
  member  = google_service_account.main["deploy"].member
}
