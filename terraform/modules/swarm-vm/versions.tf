terraform {
  required_version = ">= 1.11, < 2"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 8.0, < 9"
    }
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = ">= 5.14, < 6"
    }
  }
}
