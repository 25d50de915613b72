# A global external Application Load Balancer: the app's domain goes to the
# Cloud Run service, the CDN domain to the uploads bucket behind Cloud CDN,
# any other host is redirected to the app's domain, and plain HTTP to HTTPS.

locals {
  hosts = {
    app = var.app_domain
    cdn = var.cdn_domain
  }
}

resource "google_compute_global_address" "main" {
  project     = var.project_id
  name        = var.name
  description = "The load balancer's address; Cloudflare's records point here."
}

resource "google_compute_url_map" "https" {
  project     = var.project_id
  name        = var.name
  description = "App domain to Cloud Run, CDN domain to the uploads bucket."

  # Only the configured hosts reach a backend: a request naming another host is
  # sent to the app's domain instead of reaching Django with that Host header.
  default_url_redirect {
    host_redirect          = var.app_domain
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }

  host_rule {
    hosts        = [var.app_domain]
    path_matcher = "app"
  }

  host_rule {
    hosts        = [var.cdn_domain]
    path_matcher = "cdn"
  }

  path_matcher {
    name            = "app"
    default_service = google_compute_backend_service.main.id
  }

  path_matcher {
    name            = "cdn"
    default_service = google_compute_backend_bucket.main.id
  }
}

resource "google_compute_url_map" "http" {
  project     = var.project_id
  name        = "${var.name}-http"
  description = "Every plain HTTP request is redirected to HTTPS."

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_ssl_policy" "main" {
  project         = var.project_id
  name            = var.name
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_target_https_proxy" "main" {
  project         = var.project_id
  name            = var.name
  url_map         = google_compute_url_map.https.id
  certificate_map = "//certificatemanager.googleapis.com/${google_certificate_manager_certificate_map.main.id}"
  ssl_policy      = google_compute_ssl_policy.main.id
}

resource "google_compute_target_http_proxy" "main" {
  project = var.project_id
  name    = "${var.name}-http"
  url_map = google_compute_url_map.http.id
}

resource "google_compute_global_forwarding_rule" "https" {
  project               = var.project_id
  name                  = var.name
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_protocol           = "TCP"
  ip_address            = google_compute_global_address.main.id
  port_range            = "443"
  target                = google_compute_target_https_proxy.main.id
}

resource "google_compute_global_forwarding_rule" "http" {
  project               = var.project_id
  name                  = "${var.name}-http"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_protocol           = "TCP"
  ip_address            = google_compute_global_address.main.id
  port_range            = "80"
  target                = google_compute_target_http_proxy.main.id
}
