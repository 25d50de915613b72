resource "google_sql_database_instance" "main" {
  #checkov:skip=CKV_GCP_60:The public IP has no authorized networks: only the Cloud SQL connector reaches it, with IAM and a client certificate (ssl_mode below). Private IP would need a VPC, private services access and VPC egress for Cloud Run.
  #checkov:skip=CKV_GCP_79:The database version is an input validated to a supported major (POSTGRES_17 by default).
  #checkov:skip=CKV_GCP_108:Connections arrive through the Cloud SQL connector, so the client host is always the proxy: a DNS lookup per connection would log nothing useful.
  #checkov:skip=CKV2_GCP_13:log_duration writes a line per statement; statement latency is in the app's traces and Query Insights.
  project             = var.project_id
  name                = var.instance_name
  region              = var.region
  database_version    = var.database_version
  deletion_protection = var.enable_deletion_protection

  settings {
    edition           = var.edition
    tier              = var.tier
    availability_type = var.availability_type
    disk_type         = "PD_SSD"
    disk_size         = var.disk_size_gb
    disk_autoresize   = true

    # Also refuses deletion through the API and the console, not only Terraform.
    deletion_protection_enabled = var.enable_deletion_protection

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
      start_time                     = var.backup_start_time
      transaction_log_retention_days = 7

      backup_retention_settings {
        retained_backups = var.backup_retention_count
        retention_unit   = "COUNT"
      }
    }

    ip_configuration {
      ipv4_enabled = true
      # The connector (Cloud Run's /cloudsql volume, the Cloud SQL Auth Proxy)
      # presents a client certificate; a direct password-only connection is refused.
      ssl_mode = "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
    }

    maintenance_window {
      day          = 7
      hour         = 3
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled  = true
      record_application_tags = false
      record_client_address   = false
    }

    # Sized with the app's pools: instances x workers x pool must fit (see the platform module).
    database_flags {
      name  = "max_connections"
      value = tostring(var.max_connections)
    }

    # What PostgreSQL logs to Cloud Logging: connections, lock waits, temporary
    # files, errors, and DDL and role changes (pgAudit). Never statements' values:
    # they may carry users' file names. Written out one by one so checkov sees them.
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }

    database_flags {
      name  = "log_connections"
      value = "on"
    }

    database_flags {
      name  = "log_disconnections"
      value = "on"
    }

    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }

    database_flags {
      name  = "log_min_messages"
      value = "error"
    }

    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }

    database_flags {
      name  = "log_temp_files"
      value = "0"
    }

    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }

    database_flags {
      name  = "log_statement"
      value = "ddl"
    }

    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }

    database_flags {
      name  = "pgaudit.log"
      value = "ddl,role"
    }
  }
}

resource "google_sql_database" "main" {
  project  = var.project_id
  instance = google_sql_database_instance.main.name
  name     = var.database_name
  # Dropping the database is the instance's business (and its backups').
  deletion_policy = "ABANDON"
}

resource "random_password" "main" {
  length = 40
  # Letters and digits only: the password sits in a URL without escaping.
  special = false
}

resource "google_sql_user" "main" {
  project  = var.project_id
  instance = google_sql_database_instance.main.name
  name     = var.user_name
  password = random_password.main.result
  # The app's tables belong to this role; PostgreSQL refuses to drop a role that owns objects.
  deletion_policy = "ABANDON"
}

locals {
  # Cloud Run mounts the connector's socket directory at /cloudsql/<connection name>;
  # the URL's host is that path, percent-encoded (libpq takes a directory as host).
  database_url = "postgres://${google_sql_user.main.name}:${random_password.main.result}@${urlencode("/cloudsql/${google_sql_database_instance.main.connection_name}")}/${google_sql_database.main.name}"
}
