# The load balancer's names in Cloudflare DNS, and the records that let Google
# validate its certificate.

resource "cloudflare_dns_record" "app" {
  zone_id = var.zone_id
  name    = var.app_domain
  type    = "A"
  content = var.ip_address
  # Off until Google's certificate is ACTIVE: with the proxy on, visitors talk to
  # Cloudflare, and Cloudflare (in Full (strict) mode) to an origin that must
  # already present a valid certificate, or every request fails with 526.
  proxied = var.enable_proxy
  # 1 means "automatic", the only TTL a proxied record takes.
  ttl     = var.enable_proxy ? 1 : var.ttl_seconds
  comment = "The app, through Google's load balancer (Terraform)."
}

resource "cloudflare_dns_record" "cdn" {
  zone_id = var.zone_id
  name    = var.cdn_domain
  type    = "A"
  content = var.ip_address
  # Downloads are already served by Cloud CDN, with signed URLs Cloudflare would
  # only cache once per signature: no second CDN in front of it.
  proxied = false
  ttl     = var.ttl_seconds
  comment = "Downloads, through Cloud CDN (Terraform)."
}

resource "cloudflare_dns_record" "certificate_validation" {
  for_each = var.dns_authorizations

  zone_id = var.zone_id
  name    = trimsuffix(each.value.name, ".")
  type    = each.value.type
  content = trimsuffix(each.value.data, ".")
  # Validation records must resolve to Google, never be proxied.
  proxied = false
  ttl     = var.ttl_seconds
  comment = "Google Certificate Manager DNS authorization for ${each.key} (Terraform)."
}

# With the proxy on, Cloudflare must check the origin's certificate: Full (strict).
# This is a zone-wide setting; strict is the only mode that authenticates origins.
resource "cloudflare_zone_setting" "main" {
  count = var.enable_proxy ? 1 : 0

  zone_id    = var.zone_id
  setting_id = "ssl"
  value      = "strict"
}
