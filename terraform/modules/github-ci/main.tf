# GitHub Actions reaches Google Cloud through Workload Identity Federation: the
# job's OIDC token is exchanged for a short-lived token of one of the service
# accounts below. No key exists for any of them.

locals {
  github_issuer = "https://token.actions.githubusercontent.com"

  accounts = {
    publish = "Pushes images to Artifact Registry"
    deploy  = "Runs the migrations job, rolls out revisions of the Cloud Run service and judges them on Cloud Monitoring"
  }
}

resource "google_iam_workload_identity_pool" "main" {
  project                   = var.project_id
  workload_identity_pool_id = var.pool_id
  display_name              = "GitHub Actions"
  description               = "Identities of ${var.github_repository}'s workflows."
}

resource "google_iam_workload_identity_pool_provider" "main" {
  #checkov:skip=CKV_GCP_125:The condition (condition.tf) checks the repository, its ID and the ref claims themselves, which GitHub recommends; the sub claim changes shape when a job uses an environment (repo:o/r:environment:x).
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.main.workload_identity_pool_id
  workload_identity_pool_provider_id = "github"
  display_name                       = "GitHub Actions OIDC"
  description                        = "Tokens of ${var.github_repository}'s workflows."

  attribute_mapping = {
    "google.subject"          = "assertion.sub"
    "attribute.repository"    = "assertion.repository"
    "attribute.repository_id" = "assertion.repository_id"
    "attribute.ref"           = "assertion.ref"
    "attribute.workflow_ref"  = "assertion.job_workflow_ref"
  }
  attribute_condition = local.attribute_condition

  oidc {
    issuer_uri = local.github_issuer
  }
}

resource "google_service_account" "main" {
  for_each = local.accounts

  project      = var.project_id
  account_id   = "${var.account_prefix}-${each.key}"
  display_name = "CI: ${lower(each.value)}"
  description  = "${each.value}; used by ${var.github_repository}'s workflows through Workload Identity Federation."
}

# Any workflow run the provider admits (this repository, the allowed refs) may
# act as each CI account.
resource "google_service_account_iam_member" "workload_identity" {
  for_each = local.accounts

  service_account_id = google_service_account.main[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.main.name}/attribute.repository/${var.github_repository}"
}
