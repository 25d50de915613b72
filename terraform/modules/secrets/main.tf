locals {
  # Secret names are not secret: only the values are.
  given_names = nonsensitive(toset(keys(var.values)))
  all_names   = setunion(local.given_names, var.generated, var.manual)
}

resource "google_secret_manager_secret" "main" {
  #checkov:skip=CKV_GCP_128:Google-managed encryption keys; a customer-managed key would add a KMS key to operate for no threat this project models.
  for_each = local.all_names

  project   = var.project_id
  secret_id = each.key

  replication {
    auto {}
  }
}

resource "random_password" "main" {
  for_each = var.generated

  length  = 64
  special = false
}

resource "google_secret_manager_secret_version" "main" {
  for_each = setunion(local.given_names, var.generated)

  secret      = google_secret_manager_secret.main[each.key].id
  secret_data = merge(var.values, { for name, password in random_password.main : name => password.result })[each.key]
}
