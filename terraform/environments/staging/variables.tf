variable "project_id" {
  type        = string
  description = "This environment's own Google Cloud project."
}

variable "region" {
  type        = string
  description = "Where everything regional lives, e.g. europe-west1."
}

variable "app_domain" {
  type        = string
  description = "The app's host name, in the Cloudflare zone."
}

variable "cdn_domain" {
  type        = string
  description = "The downloads' host name, in the Cloudflare zone."
}

variable "extra_cors_origins" {
  type        = list(string)
  description = "More origins allowed to upload straight to the bucket besides the app's own."
  default     = []
}

variable "github_repository" {
  type        = string
  description = "The repository whose workflows may push and deploy, owner/name."
}

variable "github_repository_id" {
  type        = string
  description = "The repository's numeric ID (gh api repos/OWNER/NAME --jq .id); null: match by name only."
  default     = null
}

variable "cloudflare_zone_id" {
  type        = string
  description = "The Cloudflare zone's ID."
}

variable "enable_cloudflare_proxy" {
  type        = bool
  description = "Proxy the app's domain through Cloudflare (only once the certificate is ACTIVE)."
  default     = false
}

variable "grafana_stack_slug" {
  type        = string
  description = "The Grafana Cloud stack, https://<slug>.grafana.net."
}

variable "google_oauth_client_id" {
  type        = string
  description = "The Google OAuth web client's ID."
}

variable "google_oauth_client_secret" {
  type        = string
  description = "The Google OAuth web client's secret: pass it as TF_VAR_google_oauth_client_secret, never in a file."
  sensitive   = true
}

variable "enable_deletion_protection" {
  type        = bool
  description = "Protect the database, the bucket, the service and the job from deletion; false only to tear the environment down."
  default     = true
}

variable "swarm" {
  type = object({
    domain                 = string
    zone                   = string
    acme_email             = string
    deploy_ssh_public_keys = list(string)
  })
  description = "A Docker Swarm VM beside Cloud Run (deploy/swarm/README.md): its domain, Compute Engine zone, the address Let's Encrypt writes to, and the deploy user's SSH keys. null: none."
  default     = null
}
