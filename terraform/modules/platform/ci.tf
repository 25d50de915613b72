module "github" {
  source = "../github-ci"

  project_id                   = var.project_id
  region                       = var.region
  github_repository            = var.github_repository
  github_repository_id         = var.github_repository_id
  allowed_refs                 = var.github_allowed_refs
  allowed_ref_prefixes         = var.github_allowed_ref_prefixes
  artifact_registry_location   = module.registry.location
  artifact_registry_repository = module.registry.repository_id
  cloud_run_service            = module.service.name
  migrations_job               = module.manage.name
  service_runtime_account      = module.service.service_account_name
  job_runtime_account          = module.manage.service_account_name
  smoke_test_token_secret      = module.secrets.ids["smoke-test-token"]

  depends_on = [module.apis]
}
