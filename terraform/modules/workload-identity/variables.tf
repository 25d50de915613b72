variable "project_id" {
  type        = string
  description = "The Google Cloud project of the service account and of the resources it is granted."
}

variable "account_id" {
  type        = string
  description = "The service account's ID, the part before @ in its email."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.account_id))
    error_message = "account_id must be 6-30 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "display_name" {
  type        = string
  description = "What the service account runs, as shown in the console."
}

variable "secrets" {
  type        = map(string)
  description = "Secrets it may read (secretAccessor on each), by a name known at plan time (e.g. the variable it fills)."
  default     = {}
}

variable "buckets" {
  type        = map(string)
  description = "Buckets whose objects it may read, write and delete (objectUser), by a name known at plan time."
  default     = {}
}

variable "cloud_sql_instances" {
  type        = map(string)
  description = "Cloud SQL instance names it may connect to (cloudsql.client, conditioned on each instance)."
  default     = {}
}

variable "enable_url_signing" {
  type        = bool
  description = "Let the identity sign blobs as itself (V4 signed URLs without a key file)."
  default     = false
}
