output "ip_address" {
  description = "The VM's static external address (Cloudflare's origin for the domain)."
  value       = google_compute_address.main.address
}

output "instance_name" {
  description = "The VM's name, for gcloud compute ssh and start-iap-tunnel."
  value       = google_compute_instance.main.name
}

output "service_account_email" {
  description = "The VM's identity: what the app's Google clients act as."
  value       = google_service_account.main.email
}

output "iap_tunnel_command" {
  description = "Opens the SSH tunnel swarm-deploy goes through (then: --host ssh://deploy@localhost:2222)."
  value       = "gcloud compute start-iap-tunnel ${google_compute_instance.main.name} 22 --local-host-port=localhost:2222 --zone=${var.zone} --project=${var.project_id}"
}
