# The VM's identity may do what the app needs and nothing else: its objects in the uploads
# bucket, and signing their URLs with its own key (the IAM Credentials API's signBlob).
# Images reach the Swarm with the deploy's registry credentials (swarm-deploy), so it
# needs no registry role.

resource "google_storage_bucket_iam_member" "main" {
  count = var.bucket_name == null ? 0 : 1

  bucket = var.bucket_name
  role   = "roles/storage.objectUser"
  member = google_service_account.main.member
}

resource "google_service_account_iam_member" "main" {
  service_account_id = google_service_account.main.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.main.member
}
