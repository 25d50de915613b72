# A Google-managed certificate for both hosts, validated by DNS: a CNAME per
# host (created by the cloudflare-dns module) proves control of the name, so
# issuance and every renewal work whether or not Cloudflare proxies the host.

resource "google_certificate_manager_dns_authorization" "main" {
  for_each = local.hosts

  project     = var.project_id
  name        = "${var.name}-${each.key}"
  domain      = each.value
  description = "Proves control of ${each.value} for the managed certificate."
}

resource "google_certificate_manager_certificate" "main" {
  project     = var.project_id
  name        = var.name
  description = "The app's and the CDN's certificate, renewed by Google."

  managed {
    domains            = values(local.hosts)
    dns_authorizations = [for authorization in google_certificate_manager_dns_authorization.main : authorization.id]
  }
}

resource "google_certificate_manager_certificate_map" "main" {
  project     = var.project_id
  name        = var.name
  description = "The certificate for each host the load balancer serves."
}

resource "google_certificate_manager_certificate_map_entry" "main" {
  for_each = local.hosts

  project      = var.project_id
  name         = "${var.name}-${each.key}"
  map          = google_certificate_manager_certificate_map.main.name
  hostname     = each.value
  certificates = [google_certificate_manager_certificate.main.id]
}
