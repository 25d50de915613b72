# Optional: the app on a Docker Swarm VM as well (deploy/swarm/README.md), on the same
# bucket, with its own Postgres, behind Cloudflare.
module "swarm" {
  source = "../swarm-vm"
  count  = var.swarm == null ? 0 : 1

  project_id             = var.project_id
  zone                   = var.swarm.zone
  domain                 = var.swarm.domain
  cloudflare_zone_id     = var.cloudflare_zone_id
  bucket_name            = module.uploads.name
  cloudflare_ipv4_ranges = var.swarm.cloudflare_ipv4_ranges
  user_data              = var.swarm.user_data
  # With the app's own proxy on, the dns module already sets the zone's SSL mode.
  enable_zone_ssl_mode       = !var.enable_cloudflare_proxy
  enable_deletion_protection = var.enable_deletion_protection
}
