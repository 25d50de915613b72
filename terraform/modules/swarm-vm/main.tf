# One Ubuntu VM running a single-node Docker Swarm, set up by cloud-init: Docker from
# Docker's apt repository, the Swarm, nginx and certbot as on the bare VM, the deploy user.

locals {
  region = regex("^(.*)-[a-z]$", var.zone)[0]
}

resource "google_service_account" "main" {
  project      = var.project_id
  account_id   = "${var.name}-vm"
  display_name = "The ${var.name} Swarm VM (Terraform)"
}

resource "google_compute_address" "main" {
  project      = var.project_id
  name         = "${var.name}-ip"
  region       = local.region
  address_type = "EXTERNAL"
  network_tier = "PREMIUM"
}

# Daily snapshots of the data disk: the database's backups while it lives on this VM.
resource "google_compute_resource_policy" "main" {
  project = var.project_id
  name    = "${var.name}-data-daily"
  region  = local.region

  snapshot_schedule_policy {
    schedule {
      daily_schedule {
        days_in_cycle = 1
        start_time    = "03:00"
      }
    }
    retention_policy {
      max_retention_days    = var.snapshot_retention_days
      on_source_disk_delete = "KEEP_AUTO_SNAPSHOTS"
    }
  }
}

# Docker's volumes (Postgres's data) on a disk of their own: the VM can be replaced
# without losing them. Attached, it cannot be deleted while the VM's deletion protection holds.
resource "google_compute_disk" "main" {
  #checkov:skip=CKV_GCP_37:Google-managed encryption keys; a customer-supplied key would have to be handed to every attach and restore.
  project = var.project_id
  name    = "${var.name}-data"
  zone    = var.zone
  type    = "pd-balanced"
  size    = var.data_disk_size_gib
}

resource "google_compute_disk_resource_policy_attachment" "main" {
  project = var.project_id
  name    = google_compute_resource_policy.main.name
  disk    = google_compute_disk.main.name
  zone    = var.zone
}

resource "google_compute_instance" "main" {
  #checkov:skip=CKV_GCP_40:The VM is the origin Cloudflare connects to: it needs a public address, and the firewall admits only Cloudflare's ranges (80, 443) and IAP (22).
  #checkov:skip=CKV_GCP_38:Google-managed encryption keys; a customer-supplied key would have to be handed to every start.
  project                   = var.project_id
  name                      = var.name
  zone                      = var.zone
  machine_type              = var.machine_type
  deletion_protection       = var.enable_deletion_protection
  allow_stopping_for_update = true

  boot_disk {
    initialize_params {
      image = var.image
      size  = var.boot_disk_size_gib
      type  = "pd-balanced"
    }
  }

  attached_disk {
    source      = google_compute_disk.main.id
    device_name = "data"
  }

  network_interface {
    network    = var.network
    subnetwork = var.subnetwork

    access_config {
      nat_ip       = google_compute_address.main.address
      network_tier = "PREMIUM"
    }
  }

  service_account {
    email = google_service_account.main.email
    # What the identity may do is its IAM roles (iam.tf); the scope does not narrow it further.
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  metadata = {
    user-data = var.user_data
    # People sign in with their Google identity (OS Login, through IAP); the deploy user's
    # keys come from the user data. Project-wide keys are not accepted here.
    enable-oslogin         = "TRUE"
    block-project-ssh-keys = "true"
    serial-port-enable     = "false"
    # The guest agent publishes the SSH host keys here: known_hosts is filled from Google,
    # not trusted on first use (deploy/swarm/README.md).
    enable-guest-attributes = "TRUE"
  }

  # cloud-init runs the user data once, at first boot: a later change would do nothing
  # but show as a diff. Apply it by replacing the VM (terraform apply -replace), the data
  # disk stays; or by hand over SSH (README.md).
  lifecycle {
    ignore_changes = [metadata["user-data"]]
  }

  # Certbot asks for a certificate at first boot: the name must already point here.
  depends_on = [cloudflare_dns_record.main]
}
