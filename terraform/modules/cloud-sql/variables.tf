variable "project_id" {
  type        = string
  description = "The Google Cloud project that holds the instance."
}

variable "region" {
  type        = string
  description = "The instance's region; the same as Cloud Run's."
}

variable "instance_name" {
  type        = string
  description = "The Cloud SQL instance's name (not reusable for a week after deletion)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,96}$", var.instance_name))
    error_message = "instance_name must be lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "database_version" {
  type        = string
  description = "The PostgreSQL major version."
  default     = "POSTGRES_17"

  validation {
    condition     = contains(["POSTGRES_16", "POSTGRES_17"], var.database_version)
    error_message = "database_version must be POSTGRES_16 or POSTGRES_17."
  }
}

variable "edition" {
  type        = string
  description = "Cloud SQL edition: ENTERPRISE (allows the small shared-core tiers) or ENTERPRISE_PLUS."
  default     = "ENTERPRISE"

  validation {
    condition     = contains(["ENTERPRISE", "ENTERPRISE_PLUS"], var.edition)
    error_message = "edition must be ENTERPRISE or ENTERPRISE_PLUS."
  }
}

variable "tier" {
  type        = string
  description = "The machine tier, e.g. db-f1-micro (shared core) or db-custom-1-3840 (1 vCPU, 3.75 GB)."

  validation {
    condition     = can(regex("^db-(f1-micro|g1-small|custom-[0-9]+-[0-9]+|perf-optimized-N-[0-9]+)$", var.tier))
    error_message = "tier must be db-f1-micro, db-g1-small, db-custom-<vCPUs>-<MiB> or db-perf-optimized-N-<vCPUs>."
  }
}

variable "availability_type" {
  type        = string
  description = "ZONAL (one zone) or REGIONAL (a standby in a second zone, twice the price)."
  default     = "ZONAL"

  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.availability_type)
    error_message = "availability_type must be ZONAL or REGIONAL."
  }
}

variable "disk_size_gb" {
  type        = number
  description = "The initial SSD size; it grows automatically."
  default     = 10

  validation {
    condition     = var.disk_size_gb >= 10
    error_message = "disk_size_gb must be at least 10."
  }
}

variable "max_connections" {
  type        = number
  description = "PostgreSQL's max_connections; 25 suits db-f1-micro, 100 a 1-vCPU custom tier."

  validation {
    condition     = var.max_connections >= 14 && var.max_connections <= 1000
    error_message = "max_connections must be between 14 and 1000."
  }
}

variable "backup_start_time" {
  type        = string
  description = "When the daily backup starts, HH:MM in UTC."
  default     = "02:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_start_time))
    error_message = "backup_start_time must be HH:MM."
  }
}

variable "backup_retention_count" {
  type        = number
  description = "How many daily backups are kept."
  default     = 7

  validation {
    condition     = var.backup_retention_count >= 1 && var.backup_retention_count <= 365
    error_message = "backup_retention_count must be between 1 and 365."
  }
}

variable "database_name" {
  type        = string
  description = "The app's database."
  default     = "app"
}

variable "user_name" {
  type        = string
  description = "The app's database role; its password is generated."
  default     = "app"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.user_name))
    error_message = "user_name must be a plain PostgreSQL identifier (it is written into a URL unescaped)."
  }
}

variable "enable_deletion_protection" {
  type        = bool
  description = "When true, neither Terraform nor the API may delete the instance."
  default     = true
}
