resource "google_storage_bucket" "main" {
  #checkov:skip=CKV_GCP_62:Access logs would be usage logs of signed URLs; Cloud Audit Logs (data access) is the supported way to audit object reads and writes.
  #checkov:skip=CKV_GCP_78:Soft delete (below) keeps deleted objects restorable; versioning would also keep every overwritten object, and keys here are never overwritten.
  project  = var.project_id
  name     = var.name
  location = var.location

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # With protection on, destroying a bucket that still holds files fails.
  force_destroy = !var.enable_deletion_protection

  soft_delete_policy {
    retention_duration_seconds = var.soft_delete_retention_days * 86400
  }

  # Multipart uploads a client started and never finished are invisible and
  # still billed. Pending uploads that became objects but were never completed
  # only the database can tell apart: the app's cleanup_uploads job removes them.
  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  # Browsers PUT the bytes straight to a V4 signed URL (and GET downloads when no
  # CDN is configured): the preflight must allow the headers the app signs.
  cors {
    origin          = var.cors_origins
    method          = ["GET", "HEAD", "PUT"]
    response_header = var.cors_headers
    max_age_seconds = var.cors_max_age_seconds
  }
}
