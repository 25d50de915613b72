terraform {
  required_version = ">= 1.11, < 2"

  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = ">= 5.14, < 6"
    }
  }
}
