variable "project_id" {
  type        = string
  description = "The Google Cloud project that holds the VM."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID (6-30 lowercase letters, digits, hyphens)."
  }
}

variable "name" {
  type        = string
  description = "The VM's name; its service account, address, disk and firewall rules are named after it."
  default     = "swarm"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,20}[a-z0-9]$", var.name))
    error_message = "name must be 2-22 lowercase letters, digits or hyphens, starting with a letter (it prefixes the other names)."
  }
}

variable "zone" {
  type        = string
  description = "The zone the VM and its data disk live in, e.g. europe-west1-b."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+-[a-z]$", var.zone))
    error_message = "zone must be a Compute Engine zone such as europe-west1-b."
  }
}

variable "machine_type" {
  type        = string
  description = "The VM's machine type. e2-small (2 shared vCPUs, 2 GiB) runs the stack with two app replicas; the autoscaler adds replicas up to what the type holds."
  default     = "e2-small"

  validation {
    condition     = can(regex("^[a-z0-9]+-[a-z0-9-]+$", var.machine_type))
    error_message = "machine_type must be a Compute Engine machine type such as e2-small."
  }
}

variable "image" {
  type        = string
  description = "The boot image: an Ubuntu LTS family (cloud-init and Docker's apt repository both support it)."
  default     = "ubuntu-os-cloud/ubuntu-2404-lts-amd64"

  validation {
    condition     = can(regex("^ubuntu-os-cloud/ubuntu-(2204|2404)-lts", var.image))
    error_message = "image must be an Ubuntu LTS image from ubuntu-os-cloud (22.04 or 24.04)."
  }
}

variable "boot_disk_size_gib" {
  type        = number
  description = "The boot disk: the OS, Docker's images and containers."
  default     = 20

  validation {
    condition     = var.boot_disk_size_gib >= 10 && var.boot_disk_size_gib <= 500
    error_message = "boot_disk_size_gib must be between 10 and 500."
  }
}

variable "data_disk_size_gib" {
  type        = number
  description = "The data disk mounted at /var/lib/docker/volumes: Postgres's volume outlives the VM."
  default     = 20

  validation {
    condition     = var.data_disk_size_gib >= 10 && var.data_disk_size_gib <= 2000
    error_message = "data_disk_size_gib must be between 10 and 2000."
  }
}

variable "network" {
  type        = string
  description = "The VPC network the VM is attached to; its firewall rules are created there."
  default     = "default"
}

variable "subnetwork" {
  type        = string
  description = "The subnetwork in the VM's region (null: the network's automatic one)."
  default     = null
}

variable "user_data" {
  type        = string
  description = "cloud-init user data: deploy/swarm/cloud-init.yaml rendered with templatefile (see README.md)."

  validation {
    condition     = startswith(var.user_data, "#cloud-config\n")
    error_message = "user_data must be cloud-config: it starts with the line #cloud-config."
  }
}

variable "cloudflare_zone_id" {
  type        = string
  description = "The Cloudflare zone (its ID, on the zone's overview page) that holds the domain."

  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.cloudflare_zone_id))
    error_message = "cloudflare_zone_id must be a 32-character hexadecimal Cloudflare zone ID."
  }
}

variable "domain" {
  type        = string
  description = "The app's host name, proxied by Cloudflare to the VM (the same as in the user data)."

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.domain))
    error_message = "domain must be a lowercase host name such as files.example.com."
  }
}

variable "cloudflare_ipv4_ranges" {
  type        = list(string)
  description = "Cloudflare's IPv4 ranges, the only sources of ports 80 and 443: the list nginx trusts, from nginx/cloudflare/ips.conf (see README.md)."

  validation {
    condition     = length(var.cloudflare_ipv4_ranges) > 0 && alltrue([for range in var.cloudflare_ipv4_ranges : can(cidrnetmask(range))])
    error_message = "cloudflare_ipv4_ranges must be a non-empty list of IPv4 CIDR ranges."
  }
}

variable "bucket_name" {
  type        = string
  description = "The uploads bucket the app writes to (null: the VM's identity gets no bucket access)."
  default     = null
}

variable "enable_zone_ssl_mode" {
  type        = bool
  description = "Set the zone's SSL/TLS mode to Full (strict), zone-wide. Off when another module already manages it for this zone (cloudflare-dns with its proxy on)."
  default     = true
}

variable "enable_deletion_protection" {
  type        = bool
  description = "Refuse to delete the VM, and keep the data disk (Postgres's volume) out of any destroy."
  default     = true
}

variable "snapshot_retention_days" {
  type        = number
  description = "How long the data disk's daily snapshots are kept."
  default     = 14

  validation {
    condition     = var.snapshot_retention_days >= 1 && var.snapshot_retention_days <= 365
    error_message = "snapshot_retention_days must be between 1 and 365."
  }
}
