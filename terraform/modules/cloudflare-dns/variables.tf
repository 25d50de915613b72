variable "zone_id" {
  type        = string
  description = "The Cloudflare zone (its ID, on the zone's overview page) that holds both domains."

  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.zone_id))
    error_message = "zone_id must be a 32-character hexadecimal Cloudflare zone ID."
  }
}

variable "app_domain" {
  type        = string
  description = "The app's host name."
}

variable "cdn_domain" {
  type        = string
  description = "The downloads' host name."
}

variable "ip_address" {
  type        = string
  description = "The load balancer's IPv4 address."
}

variable "dns_authorizations" {
  type = map(object({
    name = string
    type = string
    data = string
  }))
  description = "Certificate Manager's validation records (the load-balancer module's dns_authorizations)."
}

variable "enable_proxy" {
  type        = bool
  description = "Proxy the app's domain through Cloudflare and set the zone's SSL mode to Full (strict). Turn on once the certificate is ACTIVE."
  default     = false
}

variable "ttl_seconds" {
  type        = number
  description = "TTL of the records that are not proxied."
  default     = 300

  validation {
    condition     = var.ttl_seconds >= 60 && var.ttl_seconds <= 86400
    error_message = "ttl_seconds must be between 60 and 86400."
  }
}
