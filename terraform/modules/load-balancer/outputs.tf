output "ip_address" {
  description = "The load balancer's IPv4 address, for the DNS records."
  value       = google_compute_global_address.main.address
}

output "dns_authorizations" {
  description = "The CNAME records that validate each host for the managed certificate: name, type, data."
  value = {
    for host, authorization in google_certificate_manager_dns_authorization.main : host => {
      name = authorization.dns_resource_record[0].name
      type = authorization.dns_resource_record[0].type
      data = authorization.dns_resource_record[0].data
    }
  }
}

output "cdn_base_url" {
  description = "CDN_BASE_URL for the app: downloads are signed against this origin."
  value       = "https://${var.cdn_domain}"
}

output "cdn_signing_key_name" {
  description = "CDN_SIGNING_KEY_NAME for the app."
  value       = google_compute_backend_bucket_signed_url_key.main.name
}

output "cdn_signing_key" {
  description = "CDN_SIGNING_KEY for the app: the 128-bit key, URL-safe base64."
  value       = local.cdn_signing_key
  sensitive   = true
}
