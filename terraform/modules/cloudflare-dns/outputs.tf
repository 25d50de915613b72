output "app_record" {
  description = "The app's record: name, and whether Cloudflare proxies it."
  value = {
    name    = cloudflare_dns_record.app.name
    proxied = cloudflare_dns_record.app.proxied
  }
}
