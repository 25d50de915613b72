variable "stack_slug" {
  type        = string
  description = "The Grafana Cloud stack, as in https://<slug>.grafana.net."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*$", var.stack_slug))
    error_message = "stack_slug must be the stack's lowercase slug."
  }
}

variable "folder_title" {
  type        = string
  description = "The dashboards' folder, e.g. \"File drop (production)\"."
}

variable "folder_uid" {
  type        = string
  description = "The folder's stable UID."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,40}$", var.folder_uid))
    error_message = "folder_uid must be at most 40 letters, digits, hyphens or underscores."
  }
}

variable "dashboards_dir" {
  type        = string
  description = "The directory of dashboard JSON models to provision (alloy/dashboards)."
}

variable "dashboard_uid_suffix" {
  type        = string
  description = "Appended to each dashboard's UID, so environments sharing a stack do not overwrite each other."

  validation {
    condition     = can(regex("^[a-z0-9-]{1,12}$", var.dashboard_uid_suffix))
    error_message = "dashboard_uid_suffix must be 1-12 lowercase letters, digits or hyphens."
  }
}

variable "access_policy_name" {
  type        = string
  description = "The name of the Alloy sidecar's access policy and token."

  validation {
    condition     = can(regex("^[a-z0-9-]{1,60}$", var.access_policy_name))
    error_message = "access_policy_name must be lowercase letters, digits and hyphens."
  }
}
