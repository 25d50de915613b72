locals {
  repository_root = abspath("${path.root}/../../..")
  environment     = "staging"
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

  # Scales to zero; a shared-core database (25 connections: 2 instances x 2
  # workers x 4 + the job's 2 fit).
  min_instances            = 0
  max_instances            = 2
  database_tier            = "db-f1-micro"
  database_max_connections = 25
  database_pool_max_size   = 4

  # Any branch of the repository may deploy to staging.
  github_repository    = var.github_repository
  github_repository_id = var.github_repository_id

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

