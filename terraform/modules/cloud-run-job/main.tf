locals {
  cloud_sql_mount_path = "/cloudsql"
}

module "identity" {
  source = "../workload-identity"

  project_id          = var.project_id
  account_id          = var.service_account_id
  display_name        = "Cloud Run job ${var.name}"
  secrets             = var.secret_env
  buckets             = var.buckets
  cloud_sql_instances = var.cloud_sql_instance == null ? {} : { database = var.cloud_sql_instance.name }
}

resource "google_cloud_run_v2_job" "main" {
  project             = var.project_id
  name                = var.name
  location            = var.region
  deletion_protection = var.enable_deletion_protection

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account       = module.identity.email
      execution_environment = "EXECUTION_ENVIRONMENT_GEN2"
      timeout               = "${var.task_timeout_seconds}s"
      max_retries           = var.max_retries

      containers {
        image   = var.image
        command = var.command
        args    = var.args

        resources {
          limits = {
            cpu    = "1"
            memory = "${var.memory_mib}Mi"
          }
        }

        dynamic "env" {
          for_each = var.env
          content {
            name  = env.key
            value = env.value
          }
        }

        dynamic "env" {
          for_each = var.secret_env
          content {
            name = env.key
            value_source {
              secret_key_ref {
                secret  = env.value
                version = "latest"
              }
            }
          }
        }

        dynamic "volume_mounts" {
          for_each = var.cloud_sql_instance == null ? [] : [var.cloud_sql_instance]
          content {
            name       = "cloudsql"
            mount_path = local.cloud_sql_mount_path
          }
        }
      }

      dynamic "volumes" {
        for_each = var.cloud_sql_instance == null ? [] : [var.cloud_sql_instance]
        content {
          name = "cloudsql"
          cloud_sql_instance {
            instances = [volumes.value.connection_name]
          }
        }
      }
    }
  }

  # An execution starts only if its identity can already read every secret it mounts.
  depends_on = [module.identity]

  lifecycle {
    # The deploy pipeline points the job at each release's image before running it.
    ignore_changes = [
      client,
      client_version,
      template[0].template[0].containers[0].image,
    ]
  }
}
