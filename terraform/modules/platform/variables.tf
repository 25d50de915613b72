variable "project_id" {
  type        = string
  description = "The environment's own Google Cloud project."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID: 6-30 lowercase letters, digits and hyphens."
  }
}

variable "region" {
  type        = string
  description = "Where Cloud Run, Cloud SQL, the bucket and the registry live, e.g. europe-west1."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "environment" {
  type        = string
  description = "Which environment this is; it names Grafana folders and telemetry's deployment.environment."

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "name" {
  type        = string
  description = "The service's name; prefixes the names of the resources around it."
  default     = "file-drop"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,18}[a-z0-9]$", var.name))
    error_message = "name must be 4-20 lowercase letters, digits and hyphens (service account IDs are built from it)."
  }
}

variable "app_domain" {
  type        = string
  description = "The app's host name, e.g. files.example.com (a name in the Cloudflare zone)."
}

variable "cdn_domain" {
  type        = string
  description = "The downloads' host name, e.g. cdn.files.example.com (a name in the Cloudflare zone)."
}

variable "extra_cors_origins" {
  type        = list(string)
  description = "More origins allowed to PUT to signed upload URLs, besides https://<app_domain> (e.g. http://localhost:8000 for staging)."
  default     = []
}

variable "image" {
  type        = string
  description = "The image of the first revision and job, before the first rollout replaces it (the deploy pipeline owns it then)."
  default     = "us-docker.pkg.dev/cloudrun/container/hello"
}

variable "alloy_image" {
  type        = string
  description = "Grafana Alloy's image for the sidecar, pinned by tag and digest (the same pin as ci/scan.py's ALLOY_IMAGE)."
  default     = "grafana/alloy:v1.20.1@sha256:2aa2099af76c0098d4af7a4d6e48f86cb66dc1a000222ad927a1c67c6542d13f"
}

variable "flags" {
  type        = string
  description = "The feature flag file's content (deploy/flags/flags.json), published as the secret the service mounts."
}

variable "alloy_config" {
  type        = string
  description = "The sidecar's configuration: the contents of alloy/cloudrun/config.alloy."
}

variable "dashboards_dir" {
  type        = string
  description = "The directory of Grafana dashboards to provision (alloy/dashboards)."
}

variable "min_instances" {
  type        = number
  description = "Instances kept running at idle (0: scale to zero)."
}

variable "max_instances" {
  type        = number
  description = "The most instances of the service, all revisions together."
}

variable "max_concurrent_requests" {
  type        = number
  description = "Requests one instance serves at once."
  default     = 80
}

variable "traces_sample_ratio" {
  type        = number
  description = "The share of traces kept (parent-based ratio sampling)."
  default     = 0.1

  validation {
    condition     = var.traces_sample_ratio >= 0 && var.traces_sample_ratio <= 1
    error_message = "traces_sample_ratio must be between 0 and 1."
  }
}

variable "database_tier" {
  type        = string
  description = "Cloud SQL machine tier (db-f1-micro, db-custom-1-3840, ...)."
}

variable "database_availability_type" {
  type        = string
  description = "ZONAL or REGIONAL (a standby in another zone)."
  default     = "ZONAL"
}

variable "database_max_connections" {
  type        = number
  description = "PostgreSQL's max_connections."
}

variable "database_pool_max_size" {
  type        = number
  description = "The app's connection pool per worker process (DATABASE_POOL_MAX_SIZE)."

  validation {
    # Each instance runs 2 uvicorn workers (the image's CMD), each with its own
    # pool; the job may hold 2 more while running, and PostgreSQL keeps 3 for
    # superusers. Every instance at once must still fit.
    condition     = var.database_pool_max_size >= 4 && var.max_instances * 2 * var.database_pool_max_size + 2 <= var.database_max_connections - 3
    error_message = "database_pool_max_size must be at least 4 (DATABASE_THREADS), and max_instances x 2 workers x the pool + 2 must fit in database_max_connections - 3."
  }
}

variable "cleanup_cron" {
  type        = string
  description = "When cleanup_uploads runs (cron, UTC)."
  default     = "17 * * * *"
}

variable "enable_deletion_protection" {
  type        = bool
  description = "Protect the database, the bucket, the service and the job from deletion (turn off only to tear down)."
  default     = true
}

variable "github_repository" {
  type        = string
  description = "The repository whose workflows may deploy, owner/name."
}

variable "github_repository_id" {
  type        = string
  description = "The repository's numeric ID, so a re-created repository of the same name cannot get in (null: name only)."
  default     = null
}

variable "github_allowed_refs" {
  type        = list(string)
  description = "Refs whose workflows may authenticate, exactly (empty with no prefixes: any ref)."
  default     = []
}

variable "github_allowed_ref_prefixes" {
  type        = list(string)
  description = "Ref prefixes whose workflows may authenticate (refs/tags/v: release tags)."
  default     = []
}

variable "cloudflare_zone_id" {
  type        = string
  description = "The Cloudflare zone holding app_domain and cdn_domain."
}

variable "enable_cloudflare_proxy" {
  type        = bool
  description = "Proxy the app's domain through Cloudflare, with SSL mode Full (strict); only once the certificate is ACTIVE."
  default     = false
}

variable "grafana_stack_slug" {
  type        = string
  description = "The Grafana Cloud stack that receives telemetry and holds the dashboards."
}

variable "google_oauth_client_id" {
  type        = string
  description = "The Google OAuth web client's ID (GOOGLE_OAUTH_CLIENT_ID); the client is made in the console (no API exists)."

  validation {
    condition     = endswith(var.google_oauth_client_id, ".apps.googleusercontent.com")
    error_message = "google_oauth_client_id must end in .apps.googleusercontent.com."
  }
}

variable "google_oauth_client_secret" {
  type        = string
  description = "The OAuth client's secret, stored in Secret Manager (GOOGLE_OAUTH_CLIENT_SECRET)."
  sensitive   = true
}

variable "swarm" {
  type = object({
    domain                 = string
    zone                   = string
    user_data              = string
    cloudflare_ipv4_ranges = list(string)
  })
  description = "A Docker Swarm VM serving the app beside Cloud Run (modules/swarm-vm): its domain, zone, rendered cloud-init user data and the Cloudflare ranges its firewall admits. null: none."
  default     = null
}
