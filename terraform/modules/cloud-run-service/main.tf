locals {
  # The sidecar contract: Alloy listens for OTLP/HTTP on the instance's loopback
  # (containers share one network namespace), its config file is a secret volume.
  sidecar_name           = "alloy"
  sidecar_otlp_endpoint  = "http://127.0.0.1:4318"
  sidecar_config_dir     = "/etc/alloy"
  sidecar_config_file    = "config.alloy"
  sidecar_readiness_port = 12345
  cloud_sql_mount_path   = "/cloudsql"
  # The feature flag file: a secret volume whose latest version the app re-reads,
  # so a new version is in force without a new revision (deploy/flags/README.md).
  flags_dir  = "/etc/app/flags"
  flags_file = "flags.json"
}

module "identity" {
  source = "../workload-identity"

  project_id   = var.project_id
  account_id   = var.service_account_id
  display_name = "Cloud Run service ${var.name}"
  # Every secret the containers reference, and nothing else.
  secrets = merge(
    var.secret_env,
    { for name, secret in var.sidecar_secret_env : "sidecar ${name}" => secret },
    { "sidecar config" = var.sidecar_config_secret, "feature flags" = var.flags_secret },
  )
  buckets             = var.buckets
  cloud_sql_instances = var.cloud_sql_instance == null ? {} : { database = var.cloud_sql_instance.name }
  enable_url_signing  = var.enable_url_signing
}

resource "google_cloud_run_v2_service" "main" {
  project     = var.project_id
  name        = var.name
  location    = var.region
  description = "The app and its telemetry sidecar; the deploy pipeline owns the image and the traffic."

  ingress = var.ingress
  # The app authenticates its users itself; callers need no Google identity.
  invoker_iam_disabled = true
  deletion_protection  = var.enable_deletion_protection

  # Bounds every revision together, a canary and its stable one included, which
  # is what the database's connections are sized for.
  scaling {
    min_instance_count = var.min_instances
    max_instance_count = var.max_instances
  }

  template {
    service_account                  = module.identity.email
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    max_instance_request_concurrency = var.max_concurrent_requests
    timeout                          = "${var.request_timeout_seconds}s"

    containers {
      name  = "app"
      image = var.image
      # Alloy must be up (its startup probe passed) before the app starts exporting.
      depends_on = [local.sidecar_name]

      ports {
        name           = "http1"
        container_port = var.container_port
      }

      resources {
        limits = {
          cpu    = var.app_cpu
          memory = "${var.app_memory_mib}Mi"
        }
        # Telemetry is exported between requests: CPU stays allocated outside them.
        cpu_idle          = false
        startup_cpu_boost = true
      }

      env {
        name  = "OTEL_EXPORTER_OTLP_ENDPOINT"
        value = local.sidecar_otlp_endpoint
      }

      env {
        name  = "FLAGS_FILE"
        value = "${local.flags_dir}/${local.flags_file}"
      }

      env {
        name  = "FLAGS_POLL_INTERVAL_MS"
        value = tostring(var.flags_poll_interval_ms)
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

      volume_mounts {
        name       = "feature-flags"
        mount_path = local.flags_dir
      }

      dynamic "volume_mounts" {
        for_each = var.cloud_sql_instance == null ? [] : [var.cloud_sql_instance]
        content {
          name       = "cloudsql"
          mount_path = local.cloud_sql_mount_path
        }
      }

      # Liveness and start-up ask /healthz, which touches no dependency: a database
      # outage must not restart every instance. Readiness asks /readyz, which does.
      startup_probe {
        period_seconds    = 2
        timeout_seconds   = 2
        failure_threshold = 30

        http_get {
          path = "/healthz"
          port = var.container_port
        }
      }

      liveness_probe {
        period_seconds    = 15
        timeout_seconds   = 5
        failure_threshold = 3

        http_get {
          path = "/healthz"
          port = var.container_port
        }
      }

      readiness_probe {
        period_seconds    = 10
        timeout_seconds   = 5
        failure_threshold = 3
        success_threshold = 1

        http_get {
          path = "/readyz"
          port = var.container_port
        }
      }
    }

    containers {
      name  = local.sidecar_name
      image = var.sidecar_image
      args = [
        "run",
        "--server.http.listen-addr=0.0.0.0:${local.sidecar_readiness_port}",
        "--storage.path=/tmp/alloy",
        "${local.sidecar_config_dir}/${local.sidecar_config_file}",
      ]

      resources {
        limits = {
          cpu    = var.sidecar_cpu
          memory = "${var.sidecar_memory_mib}Mi"
        }
        cpu_idle = false
      }

      dynamic "env" {
        for_each = var.sidecar_secret_env
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

      volume_mounts {
        name       = "alloy-config"
        mount_path = local.sidecar_config_dir
      }

      startup_probe {
        period_seconds    = 2
        timeout_seconds   = 2
        failure_threshold = 30

        http_get {
          path = "/-/ready"
          port = local.sidecar_readiness_port
        }
      }
    }

    volumes {
      name = "alloy-config"
      secret {
        secret = var.sidecar_config_secret
        items {
          version = "latest"
          path    = local.sidecar_config_file
        }
      }
    }

    volumes {
      name = "feature-flags"
      secret {
        secret = var.flags_secret
        items {
          version = "latest"
          path    = local.flags_file
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

  # Until the first rollout: all traffic to the newest revision. From then on the
  # deploy pipeline owns traffic (tags, splits, pins).
  traffic {
    type    = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    percent = 100
  }

  # A revision starts only if its identity can already read every secret it mounts.
  depends_on = [module.identity]

  lifecycle {
    # What the deploy pipeline changes on every release: apply must never undo a
    # canary in flight or roll the image back to the bootstrap one.
    ignore_changes = [
      client,
      client_version,
      template[0].revision,
      template[0].containers[0].image,
      traffic,
    ]
  }
}
