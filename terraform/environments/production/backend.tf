terraform {
  # The state bucket is the one thing made by hand (see terraform/README.md); it
  # is named at init: terraform init -backend-config="bucket=<state bucket>".
  backend "gcs" {
    prefix = "file-drop/production"
  }
}
