variable "project_id" {
  type        = string
  description = "The Google Cloud project that holds the secrets."
}

variable "values" {
  type        = map(string)
  description = "Secrets whose value Terraform knows (another module's output), by secret name."
  sensitive   = true
  default     = {}
}

variable "generated" {
  type        = set(string)
  description = "Secrets whose value is generated here: 64 random letters and digits."
  default     = []
}

variable "manual" {
  type        = set(string)
  description = "Secrets created empty; an operator adds their versions (gcloud secrets versions add)."
  default     = []
}
