# The domain, proxied by Cloudflare to the VM, with Cloudflare checking the origin's
# certificate (Full (strict)) and presenting its own to it (authenticated origin pulls,
# which nginx on the VM requires: EDGE_ORIGIN_PULL_CA in the user data).

resource "cloudflare_dns_record" "main" {
  zone_id = var.cloudflare_zone_id
  name    = var.domain
  type    = "A"
  content = google_compute_address.main.address
  # Proxied from the start: certbot's HTTP challenge reaches the VM through Cloudflare on
  # port 80. HTTPS answers 526 until the first certificate is issued, minutes after boot.
  proxied = true
  # 1 means "automatic", the only TTL a proxied record takes.
  ttl     = 1
  comment = "The Swarm VM ${var.name} (Terraform)."
}

# Zone-wide: off (enable_zone_ssl_mode = false) when another module owns it.
resource "cloudflare_zone_setting" "main" {
  count = var.enable_zone_ssl_mode ? 1 : 0

  zone_id    = var.cloudflare_zone_id
  setting_id = "ssl"
  value      = "strict"
}

# Zone-wide too, and only this module manages it: Cloudflare presents its client
# certificate to every origin of the zone, which only the VM's nginx asks for.
resource "cloudflare_authenticated_origin_pulls_settings" "main" {
  zone_id = var.cloudflare_zone_id
  enabled = true
}
