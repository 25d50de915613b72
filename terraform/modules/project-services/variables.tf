variable "project_id" {
  type        = string
  description = "The Google Cloud project to enable the APIs in."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID: 6-30 lowercase letters, digits and hyphens."
  }
}

variable "services" {
  type        = set(string)
  description = "The APIs to enable, e.g. run.googleapis.com."

  validation {
    condition     = alltrue([for service in var.services : endswith(service, ".googleapis.com")])
    error_message = "Every service must be an API name ending in .googleapis.com."
  }
}
