# Only Cloudflare reaches the web ports, and only IAP the SSH port. Everything else,
# Swarm's published port 8000 included, stays closed: VPC networks deny ingress by default.

locals {
  # Google's published range for IAP TCP forwarding (gcloud compute ssh --tunnel-through-iap).
  iap_source_range = "35.235.240.0/20"
}

resource "google_compute_firewall" "web" {
  project       = var.project_id
  name          = "${var.name}-allow-cloudflare"
  network       = var.network
  direction     = "INGRESS"
  source_ranges = var.cloudflare_ipv4_ranges
  # Rules follow the VM's identity, not a tag anyone who can edit the VM could add.
  target_service_accounts = [google_service_account.main.email]

  allow {
    protocol = "tcp"
    ports    = ["80", "443"]
  }
}

resource "google_compute_firewall" "ssh" {
  project                 = var.project_id
  name                    = "${var.name}-allow-iap-ssh"
  network                 = var.network
  direction               = "INGRESS"
  source_ranges           = [local.iap_source_range]
  target_service_accounts = [google_service_account.main.email]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }
}
