locals {
  repository_root = abspath("${path.root}/../../..")
  environment     = "production"
}

module "platform" {
  source = "../../modules/platform"

  environment        = local.environment
  project_id         = var.project_id
  region             = var.region
  app_domain         = var.app_domain
  cdn_domain         = var.cdn_domain
  extra_cors_origins = var.extra_cors_origins
  alloy_config       = file("${path.module}/../../../alloy/cloudrun/config.alloy")
  flags              = file("${path.module}/../../../deploy/flags/flags.json")
  dashboards_dir     = "${path.module}/../../../alloy/dashboards"

  # One warm instance (no cold start for the first visitor); a dedicated-core
  # database with a standby in a second zone (100 connections: 4 instances x 2
  # workers x 10 + the job's 2 fit).
  min_instances              = 1
  max_instances              = 4
  database_tier              = "db-custom-1-3840"
  database_availability_type = "REGIONAL"
  database_max_connections   = 100
  database_pool_max_size     = 10

  # Only main and release tags may push and deploy to production.
  github_repository           = var.github_repository
  github_repository_id        = var.github_repository_id
  github_allowed_refs         = ["refs/heads/main"]
  github_allowed_ref_prefixes = ["refs/tags/v"]

  cloudflare_zone_id         = var.cloudflare_zone_id
  enable_cloudflare_proxy    = var.enable_cloudflare_proxy
  grafana_stack_slug         = var.grafana_stack_slug
  google_oauth_client_id     = var.google_oauth_client_id
  google_oauth_client_secret = var.google_oauth_client_secret
  enable_deletion_protection = var.enable_deletion_protection

  # Optional: the app on a Docker Swarm VM as well (deploy/swarm/README.md).
  swarm = var.swarm == null ? null : {
    domain = var.swarm.domain
    zone   = var.swarm.zone
    user_data = templatefile("${local.repository_root}/deploy/swarm/cloud-init.yaml", {
      domain                 = var.swarm.domain
      acme_email             = var.swarm.acme_email
      zone                   = var.swarm.zone
      deploy_ssh_public_keys = var.swarm.deploy_ssh_public_keys
      repository_root        = local.repository_root
    })
    # The ranges nginx trusts for CF-Connecting-IP are the ones the firewall admits.
    cloudflare_ipv4_ranges = [for m in regexall("set_real_ip_from ([0-9.]+/[0-9]+);", file("${local.repository_root}/nginx/cloudflare/ips.conf")) : m[0]]
  }
}

