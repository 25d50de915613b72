variable "project_id" {
  type        = string
  description = "The Google Cloud project of the load balancer."
}

variable "region" {
  type        = string
  description = "The Cloud Run service's region (the serverless NEG is regional)."
}

variable "name" {
  type        = string
  description = "Prefix of every resource's name."

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,40}[a-z0-9])?$", var.name))
    error_message = "name must be up to 42 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "app_domain" {
  type        = string
  description = "The app's host name, e.g. files.example.com."

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.app_domain))
    error_message = "app_domain must be a lowercase DNS name without a scheme or a trailing dot."
  }
}

variable "cdn_domain" {
  type        = string
  description = "The downloads' host name, e.g. cdn.files.example.com: another origin than the app, so a file can never run as the app's page."

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.cdn_domain))
    error_message = "cdn_domain must be a lowercase DNS name without a scheme or a trailing dot."
  }
}

variable "cloud_run_service" {
  type        = string
  description = "The Cloud Run service the app's domain is served by."
}

variable "bucket_name" {
  type        = string
  description = "The uploads bucket the CDN domain serves."
}

variable "cdn_signing_key_name" {
  type        = string
  description = "The signed URL key's name (CDN_SIGNING_KEY_NAME for the app); a new name rotates the key."
  default     = "uploads-1"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.cdn_signing_key_name))
    error_message = "cdn_signing_key_name must be lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "cdn_cache_max_age_seconds" {
  type        = number
  description = "How long Cloud CDN (and browsers) keep a downloaded file."
  default     = 3600

  validation {
    condition     = var.cdn_cache_max_age_seconds >= 0 && var.cdn_cache_max_age_seconds <= 86400
    error_message = "cdn_cache_max_age_seconds must be between 0 and 86400."
  }
}

variable "log_sample_rate" {
  type        = number
  description = "The share of requests to the app logged by the load balancer (0 to 1)."
  default     = 1

  validation {
    condition     = var.log_sample_rate >= 0 && var.log_sample_rate <= 1
    error_message = "log_sample_rate must be between 0 and 1."
  }
}
