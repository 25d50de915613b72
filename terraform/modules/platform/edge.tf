module "load_balancer" {
  source = "../load-balancer"

  project_id        = var.project_id
  region            = var.region
  name              = var.name
  app_domain        = var.app_domain
  cdn_domain        = var.cdn_domain
  cloud_run_service = module.service.name
  bucket_name       = module.uploads.name

  depends_on = [module.apis]
}

module "dns" {
  source = "../cloudflare-dns"

  zone_id            = var.cloudflare_zone_id
  app_domain         = var.app_domain
  cdn_domain         = var.cdn_domain
  ip_address         = module.load_balancer.ip_address
  dns_authorizations = module.load_balancer.dns_authorizations
  enable_proxy       = var.enable_cloudflare_proxy
}

module "grafana" {
  source = "../grafana"

  stack_slug           = var.grafana_stack_slug
  folder_title         = "File drop (${var.environment})"
  folder_uid           = "${var.name}-${var.environment}"
  dashboards_dir       = var.dashboards_dir
  dashboard_uid_suffix = var.environment
  access_policy_name   = "${var.name}-${var.environment}-alloy"
}
