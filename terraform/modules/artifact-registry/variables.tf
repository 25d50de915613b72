variable "project_id" {
  type        = string
  description = "The Google Cloud project that holds the repository."
}

variable "location" {
  type        = string
  description = "The repository's region, e.g. europe-west1 (the image host is <location>-docker.pkg.dev)."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.location))
    error_message = "location must be a Google Cloud region such as europe-west1."
  }
}

variable "repository_id" {
  type        = string
  description = "The repository's name, the path segment after the project in image references."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.repository_id))
    error_message = "repository_id must be lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "keep_image_count" {
  type        = number
  description = "How many of the newest images are kept whatever their age (rollback targets)."
  default     = 30

  validation {
    condition     = var.keep_image_count >= 5 && var.keep_image_count <= 1000
    error_message = "keep_image_count must be between 5 and 1000."
  }
}

variable "delete_images_after_days" {
  type        = number
  description = "Images older than this are deleted unless they are among the newest keep_image_count."
  default     = 90

  validation {
    condition     = var.delete_images_after_days >= 7
    error_message = "delete_images_after_days must be at least 7."
  }
}
