variable "project_id" {
  type        = string
  description = "The Google Cloud project that holds the bucket."
}

variable "name" {
  type        = string
  description = "The bucket's globally unique name."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be 3-63 lowercase letters, digits, hyphens or underscores."
  }
}

variable "location" {
  type        = string
  description = "The bucket's region; the same as Cloud Run's keeps traffic in one region."
}

variable "cors_origins" {
  type        = list(string)
  description = "Origins whose pages may PUT to and GET from signed URLs, e.g. https://files.example.com."

  validation {
    condition     = length(var.cors_origins) > 0 && alltrue([for origin in var.cors_origins : can(regex("^https?://[^/*]+$", origin))])
    error_message = "cors_origins must be scheme://host[:port] origins, without a path or wildcard."
  }
}

variable "cors_headers" {
  type        = list(string)
  description = "Request headers browsers may send with a signed PUT: those the app binds into its upload URLs."
  default     = ["Content-Type", "Content-MD5", "x-goog-content-length-range"]
}

variable "cors_max_age_seconds" {
  type        = number
  description = "How long a browser may cache the CORS preflight answer."
  default     = 3600

  validation {
    condition     = var.cors_max_age_seconds >= 0 && var.cors_max_age_seconds <= 86400
    error_message = "cors_max_age_seconds must be between 0 and 86400."
  }
}

variable "soft_delete_retention_days" {
  type        = number
  description = "How long a deleted object stays restorable (0 turns soft delete off)."
  default     = 7

  validation {
    condition     = var.soft_delete_retention_days == 0 || (var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 90)
    error_message = "soft_delete_retention_days must be 0 or between 7 and 90 (Cloud Storage's limits)."
  }
}

variable "enable_deletion_protection" {
  type        = bool
  description = "When true, destroying the bucket fails while it holds objects."
  default     = true
}
