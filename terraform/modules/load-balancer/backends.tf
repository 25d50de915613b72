data "google_project" "main" {
  project_id = var.project_id
}

# The app: a serverless NEG in front of the Cloud Run service.
resource "google_compute_region_network_endpoint_group" "main" {
  project               = var.project_id
  name                  = var.name
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = var.cloud_run_service
  }
}

resource "google_compute_backend_service" "main" {
  project               = var.project_id
  name                  = var.name
  description           = "The Cloud Run service."
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  # Responses are per user and carry cookies: never cached here.
  enable_cdn = false

  backend {
    group = google_compute_region_network_endpoint_group.main.id
  }

  log_config {
    enable      = true
    sample_rate = var.log_sample_rate
  }
}

# Downloads: the uploads bucket behind Cloud CDN, reached only with a signed URL.
resource "google_compute_backend_bucket" "main" {
  project     = var.project_id
  name        = "${var.name}-uploads"
  description = "The uploads bucket; Cloud CDN serves only requests signed with the key below."
  bucket_name = var.bucket_name
  enable_cdn  = true

  cdn_policy {
    cache_mode = "CACHE_ALL_STATIC"
    # A signed URL's response is cached as public for this long (the signature
    # is checked on every request, cached or not).
    signed_url_cache_max_age_sec = var.cdn_cache_max_age_seconds
    default_ttl                  = var.cdn_cache_max_age_seconds
    max_ttl                      = var.cdn_cache_max_age_seconds
    client_ttl                   = var.cdn_cache_max_age_seconds
  }
}

# The CDN signing key: 128 random bits, in the URL-safe base64 (with padding)
# that both Cloud CDN and the app's signer (base64.urlsafe_b64decode) take.
resource "random_bytes" "main" {
  length = 16
}

locals {
  cdn_signing_key = replace(replace(random_bytes.main.base64, "+", "-"), "/", "_")
}

resource "google_compute_backend_bucket_signed_url_key" "main" {
  project        = var.project_id
  name           = var.cdn_signing_key_name
  backend_bucket = google_compute_backend_bucket.main.name
  key_value      = local.cdn_signing_key
}

# Cloud CDN fetches cache misses from the private bucket as its fill service
# agent, which exists once the project has a signed URL key.
resource "google_storage_bucket_iam_member" "main" {
  bucket = var.bucket_name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:service-${data.google_project.main.number}@cloud-cdn-fill.iam.gserviceaccount.com"

  depends_on = [google_compute_backend_bucket_signed_url_key.main]
}
