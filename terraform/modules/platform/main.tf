# One environment of the file-drop service: every unit, wired together. The
# environments differ only in the inputs they give this module.

locals {
  apis = [
    "artifactregistry.googleapis.com",
    "certificatemanager.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "sqladmin.googleapis.com",
    "storage.googleapis.com",
    "sts.googleapis.com",
  ]

  # What alloy/cloudrun/config.alloy reads with sys.env (a test keeps them in step).
  alloy_variables = [
    "GRAFANA_CLOUD_OTLP_ENDPOINT",
    "GRAFANA_CLOUD_INSTANCE_ID",
    "GRAFANA_CLOUD_PROMETHEUS_URL",
    "GRAFANA_CLOUD_PROMETHEUS_USER",
    "GRAFANA_CLOUD_API_KEY",
  ]
  alloy_secrets = { for variable in local.alloy_variables : variable => lower(replace(variable, "_", "-")) }

  app_origin = "https://${var.app_domain}"
}

module "apis" {
  source = "../project-services"

  project_id = var.project_id
  services   = toset(local.apis)
}

module "registry" {
  source = "../artifact-registry"

  project_id    = var.project_id
  location      = var.region
  repository_id = "app"

  depends_on = [module.apis]
}

module "uploads" {
  source = "../uploads-bucket"

  project_id                 = var.project_id
  name                       = "${var.project_id}-uploads"
  location                   = var.region
  cors_origins               = concat([local.app_origin], var.extra_cors_origins)
  enable_deletion_protection = var.enable_deletion_protection

  depends_on = [module.apis]
}

module "database" {
  source = "../cloud-sql"

  project_id                 = var.project_id
  region                     = var.region
  instance_name              = var.name
  tier                       = var.database_tier
  availability_type          = var.database_availability_type
  max_connections            = var.database_max_connections
  enable_deletion_protection = var.enable_deletion_protection

  depends_on = [module.apis]
}

module "secrets" {
  source = "../secrets"

  project_id = var.project_id
  values = merge(
    {
      "database-url"               = module.database.database_url
      "cdn-signing-key"            = module.load_balancer.cdn_signing_key
      "google-oauth-client-secret" = var.google_oauth_client_secret
      "alloy-config"               = var.alloy_config
      # Each apply publishes the repository's flag file as the latest version;
      # `gcloud secrets versions add feature-flags` does so between applies.
      "feature-flags" = var.flags
    },
    { for variable, secret in local.alloy_secrets : secret => module.grafana.alloy_env[variable] },
  )
  generated = ["django-secret-key"]
  # Issued by the app itself (app issue_token), then added by an operator.
  manual = ["smoke-test-token"]

  depends_on = [module.apis]
}
