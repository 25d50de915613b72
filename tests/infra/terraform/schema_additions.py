"""Arguments newer than the provider schema the check reads, with the release that added them.

The newest google provider package on PyPI describes google 6.50.0; the
modules pin google >= 8.0. An argument added since is listed here by its path
(resource type, then nested blocks) with the first provider version that has it
(from the provider's CHANGELOG). The check accepts it by name and does not look
inside it; a test fails when an entry is no longer used, already exists in the
schema, or is newer than the pinned lower bound.
"""

SCHEMA_ADDITIONS: dict[str, str] = {
    # 7.0.0: "cloudrunv2: added max_instance_count field to google_cloud_run_v2_service resource."
    "google_cloud_run_v2_service.scaling.max_instance_count": "7.0.0",
    # 7.19.0: "run: added readiness_probe field to google_cloud_run_v2_service resource"
    "google_cloud_run_v2_service.template.containers.readiness_probe": "7.19.0",
}
