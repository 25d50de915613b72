# An optional schedule: Cloud Scheduler runs the job with other arguments
# (e.g. a cleanup command), always on the image the pipeline last deployed.

resource "google_service_account" "main" {
  count = var.schedule == null ? 0 : 1

  project      = var.project_id
  account_id   = "${var.service_account_id}-cron"
  display_name = "Cloud Scheduler, running the Cloud Run job ${var.name}"
  description  = "May only run the job ${var.name} (with argument overrides)."
}

resource "google_cloud_run_v2_job_iam_member" "main" {
  count = var.schedule == null ? 0 : 1

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_job.main.name
  role     = "roles/run.jobsExecutorWithOverrides"
  member   = google_service_account.main[0].member
}

resource "google_cloud_scheduler_job" "main" {
  count = var.schedule == null ? 0 : 1

  project     = var.project_id
  region      = var.region
  name        = "${var.name}-${var.schedule.name}"
  description = "Runs ${var.name} with ${join(" ", var.schedule.args)}."
  schedule    = var.schedule.cron
  time_zone   = "Etc/UTC"

  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/${google_cloud_run_v2_job.main.id}:run"
    headers     = { "Content-Type" = "application/json" }
    body = base64encode(jsonencode({
      overrides = { containerOverrides = [{ args = var.schedule.args }] }
    }))

    oauth_token {
      service_account_email = google_service_account.main[0].email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [google_cloud_run_v2_job_iam_member.main]
}
