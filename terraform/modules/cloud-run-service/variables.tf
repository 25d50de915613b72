variable "project_id" {
  type        = string
  description = "The Google Cloud project of the service."
}

variable "region" {
  type        = string
  description = "The service's region."
}

variable "name" {
  type        = string
  description = "The Cloud Run service's name (the deploy pipeline's --service)."

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$", var.name))
    error_message = "name must be up to 49 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "service_account_id" {
  type        = string
  description = "The ID of the service's dedicated runtime service account."
}

variable "image" {
  type        = string
  description = "The app image for the first revision only: from then on the deploy pipeline sets it, by digest."

  validation {
    condition     = length(var.image) > 0
    error_message = "image must not be empty."
  }
}

variable "container_port" {
  type        = number
  description = "The port the app listens on (the image's CMD serves on 8000)."
  default     = 8000
}

variable "ingress" {
  type        = string
  description = "Who may reach the service: INGRESS_TRAFFIC_ALL keeps the run.app URLs the canary smoke-tests tagged revisions on."
  default     = "INGRESS_TRAFFIC_ALL"

  validation {
    condition     = contains(["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.ingress)
    error_message = "ingress must be INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  }
}

variable "min_instances" {
  type        = number
  description = "Instances kept running with no traffic (0: scale to zero, and pay nothing at idle)."

  validation {
    condition     = var.min_instances >= 0 && var.min_instances <= 100
    error_message = "min_instances must be between 0 and 100."
  }
}

variable "max_instances" {
  type        = number
  description = "The most instances Cloud Run may start; bounds the database connections too."

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 1000 && var.max_instances >= var.min_instances
    error_message = "max_instances must be between 1 and 1000, and at least min_instances."
  }
}

variable "max_concurrent_requests" {
  type        = number
  description = "Requests one instance serves at once before Cloud Run starts another."

  validation {
    condition     = var.max_concurrent_requests >= 1 && var.max_concurrent_requests <= 1000
    error_message = "max_concurrent_requests must be between 1 and 1000."
  }
}

variable "request_timeout_seconds" {
  type        = number
  description = "The longest a request may take (small uploads stream through the app)."
  default     = 300

  validation {
    condition     = var.request_timeout_seconds >= 1 && var.request_timeout_seconds <= 3600
    error_message = "request_timeout_seconds must be between 1 and 3600."
  }
}

variable "app_cpu" {
  type        = string
  description = "The app container's CPU limit, in vCPUs (1, 2, 4...)."
  default     = "1"

  validation {
    condition     = contains(["1", "2", "4", "6", "8"], var.app_cpu)
    error_message = "app_cpu must be 1, 2, 4, 6 or 8 (fractions force request-based billing, which starves the exporters)."
  }
}

variable "app_memory_mib" {
  type        = number
  description = "The app container's memory limit in MiB."
  default     = 512

  validation {
    condition     = var.app_memory_mib >= 256 && var.app_memory_mib <= 32768
    error_message = "app_memory_mib must be between 256 and 32768."
  }
}

variable "env" {
  type        = map(string)
  description = "Plain environment variables for the app (never secrets: those go in secret_env)."
  default     = {}

  validation {
    condition     = !anytrue([for name in keys(var.env) : can(regex("(SECRET|PASSWORD|TOKEN|_KEY)$", name))])
    error_message = "A variable named like a secret must come from Secret Manager: put it in secret_env."
  }
}

variable "secret_env" {
  type        = map(string)
  description = "The app's environment variables read from Secret Manager: variable name => secret ID (latest version)."
  default     = {}
}

variable "buckets" {
  type        = map(string)
  description = "Buckets whose objects the app reads and writes, by a name known at plan time."
  default     = {}
}

variable "cloud_sql_instance" {
  type = object({
    name            = string
    connection_name = string
  })
  description = "The Cloud SQL instance mounted at /cloudsql/<connection name> (null: none)."
  default     = null
}

variable "enable_url_signing" {
  type        = bool
  description = "Let the runtime identity sign V4 URLs as itself (no key file)."
  default     = true
}

variable "sidecar_image" {
  type        = string
  description = "Grafana Alloy's image, pinned by tag and digest."

  validation {
    condition     = can(regex("^[^@]+:[^@]+@sha256:[0-9a-f]{64}$", var.sidecar_image))
    error_message = "sidecar_image must be pinned as image:tag@sha256:digest."
  }
}

variable "sidecar_cpu" {
  type        = string
  description = "Alloy's CPU limit, in vCPUs."
  default     = "1"

  validation {
    condition     = contains(["1", "2"], var.sidecar_cpu)
    error_message = "sidecar_cpu must be 1 or 2."
  }
}

variable "sidecar_memory_mib" {
  type        = number
  description = "Alloy's memory limit in MiB (its memory_limiter keeps it at 80%)."
  default     = 256

  validation {
    condition     = var.sidecar_memory_mib >= 128 && var.sidecar_memory_mib <= 4096
    error_message = "sidecar_memory_mib must be between 128 and 4096."
  }
}

variable "sidecar_config_secret" {
  type        = string
  description = "The secret ID holding Alloy's configuration (alloy/cloudrun/config.alloy), mounted as /etc/alloy/config.alloy."
}

variable "sidecar_secret_env" {
  type        = map(string)
  description = "Alloy's environment (the sys.env its config reads): variable name => secret ID."
  default     = {}
}

variable "flags_secret" {
  type        = string
  description = "The secret ID holding the feature flag file (deploy/flags/flags.json), mounted as /etc/app/flags/flags.json; its latest version is in force."
}

variable "flags_poll_interval_ms" {
  type        = number
  description = "How often each worker re-reads the flag file. Each read of a mounted secret is a billed Secret Manager access, hence less often than the app's default of 1 s."
  default     = 30000

  validation {
    condition     = var.flags_poll_interval_ms >= 1000 && var.flags_poll_interval_ms <= 3600000
    error_message = "flags_poll_interval_ms must be between 1000 and 3600000."
  }
}

variable "enable_deletion_protection" {
  type        = bool
  description = "When true, Terraform refuses to destroy the service."
  default     = true
}
