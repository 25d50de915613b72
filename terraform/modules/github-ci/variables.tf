variable "project_id" {
  type        = string
  description = "The Google Cloud project of the pool, the CI accounts and what they act on."
}

variable "region" {
  type        = string
  description = "The Cloud Run service's and job's region."
}

variable "github_repository" {
  type        = string
  description = "The only repository whose workflows may authenticate, as owner/name."

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "github_repository_id" {
  type        = string
  description = "The repository's numeric ID (gh api repos/OWNER/NAME --jq .id): a re-created repository of the same name does not get in. Null: name only."
  default     = null

  validation {
    condition     = var.github_repository_id == null || can(regex("^[0-9]+$", var.github_repository_id))
    error_message = "github_repository_id must be digits."
  }
}

variable "allowed_refs" {
  type        = list(string)
  description = "Git refs whose workflows may authenticate, exactly (e.g. refs/heads/main). Empty, with no prefixes either: any ref of the repository."
  default     = []

  validation {
    condition     = alltrue([for ref in var.allowed_refs : can(regex("^refs/(heads|tags)/[^'\\\\]+$", ref))])
    error_message = "allowed_refs must be refs/heads/... or refs/tags/..., without quotes or backslashes."
  }
}

variable "allowed_ref_prefixes" {
  type        = list(string)
  description = "Git ref prefixes whose workflows may authenticate (e.g. refs/tags/v for release tags)."
  default     = []

  validation {
    condition     = alltrue([for prefix in var.allowed_ref_prefixes : can(regex("^refs/(heads|tags)/[^'\\\\]+$", prefix))])
    error_message = "allowed_ref_prefixes must start with refs/heads/ or refs/tags/, without quotes or backslashes."
  }
}

variable "pool_id" {
  type        = string
  description = "The workload identity pool's ID (a deleted pool's ID stays taken for 30 days)."
  default     = "github"
}

variable "account_prefix" {
  type        = string
  description = "Prefix of the CI service accounts' IDs (<prefix>-publish, -deploy)."
  default     = "ci"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.account_prefix))
    error_message = "account_prefix must be 2-21 lowercase letters, digits and hyphens."
  }
}

variable "artifact_registry_location" {
  type        = string
  description = "The image repository's region."
}

variable "artifact_registry_repository" {
  type        = string
  description = "The image repository the publish account pushes to."
}

variable "cloud_run_service" {
  type        = string
  description = "The Cloud Run service the deploy account rolls out."
}

variable "migrations_job" {
  type        = string
  description = "The Cloud Run job the deploy account updates and runs before a rollout."
}

variable "service_runtime_account" {
  type        = string
  description = "The service's runtime identity (resource name): deploy may act as it."
}

variable "job_runtime_account" {
  type        = string
  description = "The migrations job's runtime identity (resource name): deploy may act as it."
}

variable "smoke_test_token_secret" {
  type        = string
  description = "The secret holding the canary smoke test's API token: deploy may read it."
}
