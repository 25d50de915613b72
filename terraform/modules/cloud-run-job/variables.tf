variable "project_id" {
  type        = string
  description = "The Google Cloud project of the job."
}

variable "region" {
  type        = string
  description = "The job's region."
}

variable "name" {
  type        = string
  description = "The Cloud Run job's name (the deploy pipeline's migrations job)."

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$", var.name))
    error_message = "name must be up to 49 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "service_account_id" {
  type        = string
  description = "The ID of the job's dedicated runtime service account (at most 25 characters: the scheduler's adds -cron)."

  validation {
    condition     = length(var.service_account_id) <= 25
    error_message = "service_account_id must be at most 25 characters."
  }
}

variable "image" {
  type        = string
  description = "The image for the job's creation only: the deploy pipeline sets each release's digest."
}

variable "command" {
  type        = list(string)
  description = "The container's entrypoint."
}

variable "args" {
  type        = list(string)
  description = "The arguments of a plain run (what the deploy pipeline executes)."
}

variable "task_timeout_seconds" {
  type        = number
  description = "How long one run may take before it is stopped."
  default     = 600

  validation {
    condition     = var.task_timeout_seconds >= 10 && var.task_timeout_seconds <= 86400
    error_message = "task_timeout_seconds must be between 10 and 86400."
  }
}

variable "max_retries" {
  type        = number
  description = "How often a failed run is retried."
  default     = 0

  validation {
    condition     = var.max_retries >= 0 && var.max_retries <= 10
    error_message = "max_retries must be between 0 and 10."
  }
}

variable "memory_mib" {
  type        = number
  description = "The container's memory limit in MiB."
  default     = 512

  validation {
    condition     = var.memory_mib >= 256 && var.memory_mib <= 32768
    error_message = "memory_mib must be between 256 and 32768."
  }
}

variable "env" {
  type        = map(string)
  description = "Plain environment variables (never secrets: those go in secret_env)."
  default     = {}

  validation {
    condition     = !anytrue([for name in keys(var.env) : can(regex("(SECRET|PASSWORD|TOKEN|_KEY)$", name))])
    error_message = "A variable named like a secret must come from Secret Manager: put it in secret_env."
  }
}

variable "secret_env" {
  type        = map(string)
  description = "Environment variables read from Secret Manager: variable name => secret ID (latest version)."
  default     = {}
}

variable "buckets" {
  type        = map(string)
  description = "Buckets whose objects the job reads and writes, by a name known at plan time."
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

variable "schedule" {
  type = object({
    name = string
    cron = string
    args = list(string)
  })
  description = "Run the job on a cron schedule (UTC) with these arguments instead (null: never)."
  default     = null

  validation {
    condition     = var.schedule == null || length(split(" ", try(var.schedule.cron, ""))) == 5
    error_message = "schedule.cron must be a five-field cron expression."
  }
}

variable "enable_deletion_protection" {
  type        = bool
  description = "When true, Terraform refuses to destroy the job."
  default     = true
}
