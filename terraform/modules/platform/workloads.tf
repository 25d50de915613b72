locals {
  database = {
    name            = module.database.instance_name
    connection_name = module.database.connection_name
  }

  # Settings both the service and the job read (app/config/settings.py).
  common_env = {
    GCS_BUCKET  = module.uploads.name
    GCS_PROJECT = var.project_id
  }

  service_env = merge(local.common_env, {
    # localhost: Cloud Run's probes. *.run.app: the service's own URLs, where the
    # canary smoke-tests a tagged revision. Other hosts never reach the app: the
    # load balancer redirects them to the app's domain.
    DJANGO_ALLOWED_HOSTS        = join(",", [var.app_domain, "localhost", ".a.run.app", ".${var.region}.run.app"])
    DJANGO_CSRF_TRUSTED_ORIGINS = local.app_origin
    DATABASE_POOL_MAX_SIZE      = tostring(var.database_pool_max_size)
    CDN_BASE_URL                = module.load_balancer.cdn_base_url
    CDN_SIGNING_KEY_NAME        = module.load_balancer.cdn_signing_key_name
    GOOGLE_OAUTH_CLIENT_ID      = var.google_oauth_client_id
    OTEL_SERVICE_NAME           = var.name
    OTEL_RESOURCE_ATTRIBUTES    = "deployment.environment.name=${var.environment},cloud.platform=gcp_cloud_run"
    OTEL_TRACES_SAMPLER         = "parentbased_traceidratio"
    OTEL_TRACES_SAMPLER_ARG     = tostring(var.traces_sample_ratio)
  })

  service_secret_env = {
    DJANGO_SECRET_KEY          = module.secrets.ids["django-secret-key"]
    DATABASE_URL               = module.secrets.ids["database-url"]
    CDN_SIGNING_KEY            = module.secrets.ids["cdn-signing-key"]
    GOOGLE_OAUTH_CLIENT_SECRET = module.secrets.ids["google-oauth-client-secret"]
  }

  job_env = merge(local.common_env, {
    DJANGO_ALLOWED_HOSTS = var.app_domain
    # The job serves no sign-in; production settings want Google sign-in or this.
    # Saying so spares the job the OAuth client secret.
    ALLOW_PASSWORD_LOGIN   = "true"
    DATABASE_POOL_MAX_SIZE = "2"
    DATABASE_THREADS       = "0"
  })

  job_secret_env = {
    DJANGO_SECRET_KEY = module.secrets.ids["django-secret-key"]
    DATABASE_URL      = module.secrets.ids["database-url"]
  }
}

module "service" {
  source = "../cloud-run-service"

  project_id                 = var.project_id
  region                     = var.region
  name                       = var.name
  service_account_id         = "${var.name}-run"
  image                      = var.image
  min_instances              = var.min_instances
  max_instances              = var.max_instances
  max_concurrent_requests    = var.max_concurrent_requests
  env                        = local.service_env
  secret_env                 = local.service_secret_env
  buckets                    = { uploads = module.uploads.name }
  cloud_sql_instance         = local.database
  sidecar_image              = var.alloy_image
  sidecar_config_secret      = module.secrets.ids["alloy-config"]
  sidecar_secret_env         = { for variable, secret in local.alloy_secrets : variable => module.secrets.ids[secret] }
  flags_secret               = module.secrets.ids["feature-flags"]
  enable_deletion_protection = var.enable_deletion_protection

  # Every secret needs its first version before a revision can start.
  depends_on = [module.secrets]
}

# The app's management commands, on the released image: the deploy pipeline runs
# it plainly (migrate) before each rollout; Cloud Scheduler runs cleanup_uploads.
module "manage" {
  source = "../cloud-run-job"

  project_id         = var.project_id
  region             = var.region
  name               = "${var.name}-manage"
  service_account_id = "${var.name}-jobs"
  image              = var.image
  command            = ["app"]
  args               = ["migrate", "--noinput"]
  env                = local.job_env
  secret_env         = local.job_secret_env
  buckets            = { uploads = module.uploads.name }
  cloud_sql_instance = local.database
  schedule = {
    name = "cleanup"
    cron = var.cleanup_cron
    args = ["cleanup_uploads"]
  }
  enable_deletion_protection = var.enable_deletion_protection

  depends_on = [module.secrets]
}
