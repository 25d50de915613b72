resource "google_artifact_registry_repository" "main" {
  #checkov:skip=CKV_GCP_84:Google-managed encryption keys; a customer-managed key adds a KMS key to operate and pay for and protects nothing an image does not already publish.
  project       = var.project_id
  location      = var.location
  repository_id = var.repository_id
  format        = "DOCKER"
  description   = "The app's images, pushed by CI and deployed by digest."

  # Release tags (x.y, x) move from one release to the next, so tags stay mutable;
  # deployments never use a tag, only a digest.
  cleanup_policy_dry_run = false

  # KEEP wins over DELETE: the newest images survive however old they are, so a
  # rollback target is never deleted from under a running revision.
  cleanup_policies {
    id     = "keep-newest"
    action = "KEEP"

    most_recent_versions {
      keep_count = var.keep_image_count
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"

    condition {
      tag_state  = "ANY"
      older_than = "${var.delete_images_after_days * 86400}s"
    }
  }
}
