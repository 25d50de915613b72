"""Who may do what, what is public, what is protected from deletion: read from the HCL."""

import re
from typing import Any

from tests.infra.terraform import hcl
from tests.infra.terraform.hcl import Block, Config

# Every role granted anywhere, with the resource type it is granted on. A new
# grant must be added here on purpose.
ALLOWED_GRANTS = {
    ("google_secret_manager_secret_iam_member", "roles/secretmanager.secretAccessor"),
    ("google_storage_bucket_iam_member", "roles/storage.objectUser"),
    ("google_storage_bucket_iam_member", "roles/storage.objectViewer"),
    ("google_project_iam_member", "roles/cloudsql.client"),
    ("google_project_iam_member", "roles/run.viewer"),
    ("google_project_iam_member", "roles/monitoring.viewer"),
    ("google_service_account_iam_member", "roles/iam.serviceAccountTokenCreator"),
    ("google_service_account_iam_member", "roles/iam.workloadIdentityUser"),
    ("google_service_account_iam_member", "roles/iam.serviceAccountUser"),
    ("google_artifact_registry_repository_iam_member", "roles/artifactregistry.writer"),
    ("google_cloud_run_v2_service_iam_member", "roles/run.developer"),
    ("google_cloud_run_v2_job_iam_member", "roles/run.developer"),
    ("google_cloud_run_v2_job_iam_member", "roles/run.jobsExecutorWithOverrides"),
}
# What each CI account holds (github-ci), by account.
CI_GRANTS = {
    "publish": {"roles/artifactregistry.writer"},
    "deploy": {
        "roles/run.developer", "roles/iam.serviceAccountUser", "roles/secretmanager.secretAccessor", "roles/run.viewer",
        "roles/monitoring.viewer",
    },
}  # fmt: skip
BASIC_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
PUBLIC_MEMBERS = re.compile(r"allUsers|allAuthenticatedUsers")


def _grants(config: Config) -> list[tuple[Block, str]]:
    """Each IAM member resource with its role, reading for_each maps of literal roles."""
    found: list[tuple[Block, str]] = []
    for block in config.resources():
        if not block.labels[0].endswith("_iam_member"):
            continue
        body = block.body
        role = body["role"]
        if role.startswith("${each.value"):
            for value in body["for_each"].values():
                found.append((block, value if isinstance(value, str) else value["role"]))
        else:
            found.append((block, role))
    return found


def _all_configs() -> list[Config]:
    return hcl.every_config()


def test_every_role_granted_is_on_the_allow_list_and_none_is_basic() -> None:
    granted = {(block.labels[0], role) for config in _all_configs() for block, role in _grants(config)}
    assert granted <= ALLOWED_GRANTS, granted - ALLOWED_GRANTS
    assert not {role for _, role in granted} & BASIC_ROLES


def test_iam_is_only_ever_additive() -> None:
    for config in _all_configs():
        for block in config.resources():
            assert not block.labels[0].endswith(("_iam_binding", "_iam_policy")), f"{config.name}: {block.address}"


def test_no_service_account_key_and_nothing_public_anywhere() -> None:
    for path in hcl.terraform_files():
        text = path.read_text()
        assert "google_service_account_key" not in text, path
        assert not PUBLIC_MEMBERS.search(text), path


def test_project_level_cloud_sql_access_is_conditioned_on_one_instance(modules: dict[str, Config]) -> None:
    (grant,) = modules["workload-identity"].resources("google_project_iam_member")
    body = grant.body
    assert body["role"] == "roles/cloudsql.client"
    (condition,) = body["condition"]
    assert "resource.name == 'projects/${var.project_id}/instances/${each.value}'" in condition["expression"]


def test_each_ci_account_holds_exactly_its_roles(modules: dict[str, Config]) -> None:
    held: dict[str, set[str]] = {account: set() for account in CI_GRANTS}
    for block in modules["github-ci"].resources():
        body = block.body
        if not block.labels[0].endswith("_iam_member") or body["member"].startswith("principalSet://"):
            continue  # who may act as the accounts: test_ci_identities_are_federated_for_this_repository_only
        match = re.search(r'google_service_account\.main\["(\w+)"\]', body["member"])
        assert match, f"cannot tell whose grant {block.address} is: {body['member']}"
        roles = body["for_each"].values() if body["role"] == "${each.value}" else [body["role"]]
        held[match[1]].update(roles)
    assert held == CI_GRANTS


def test_ci_identities_are_federated_for_this_repository_only(modules: dict[str, Config]) -> None:
    github = modules["github-ci"]
    (binding,) = [
        b for b in github.resources("google_service_account_iam_member") if b.labels[1] == "workload_identity"
    ]
    assert binding.body["for_each"] == "${local.accounts}"
    assert set(github.locals()["accounts"]) == set(CI_GRANTS)
    assert binding.body["role"] == "roles/iam.workloadIdentityUser"
    assert binding.body["member"] == (
        "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.main.name}"
        "/attribute.repository/${var.github_repository}"
    )
    provider = github.resource("google_iam_workload_identity_pool_provider", "main").body
    assert provider["attribute_condition"] == "${local.attribute_condition}"
    assert provider["oidc"][0]["issuer_uri"] == "${local.github_issuer}"
    assert github.locals()["github_issuer"] == "https://token.actions.githubusercontent.com"


def test_production_deploys_only_from_main_and_release_tags(environments: dict[str, Config]) -> None:
    production = environments["production"].modules()["platform"]
    assert production["github_allowed_refs"] == ["refs/heads/main"]
    assert production["github_allowed_ref_prefixes"] == ["refs/tags/v"]


def test_buckets_are_uniform_and_never_public(modules: dict[str, Config]) -> None:
    buckets = [block for module in modules.values() for block in module.resources("google_storage_bucket")]
    assert buckets
    for bucket in buckets:
        body = bucket.body
        assert body["uniform_bucket_level_access"] is True
        assert body["public_access_prevention"] == "enforced"


def _protection_flags(block: Block) -> dict[str, Any]:
    body = block.body
    flags = {"deletion_protection": body.get("deletion_protection"), "force_destroy": body.get("force_destroy")}
    for settings in body.get("settings", []):
        flags["deletion_protection_enabled"] = settings.get("deletion_protection_enabled")
    return flags


def test_stateful_resources_are_protected_unless_switched_off_on_purpose(
    modules: dict[str, Config], environments: dict[str, Config]
) -> None:
    expected = {
        "google_sql_database_instance": {
            "deletion_protection": "${var.enable_deletion_protection}",
            "force_destroy": None,
            "deletion_protection_enabled": "${var.enable_deletion_protection}",
        },
        "google_cloud_run_v2_service": {
            "deletion_protection": "${var.enable_deletion_protection}",
            "force_destroy": None,
        },
        "google_cloud_run_v2_job": {"deletion_protection": "${var.enable_deletion_protection}", "force_destroy": None},
        "google_storage_bucket": {"deletion_protection": None, "force_destroy": "${!var.enable_deletion_protection}"},
    }
    seen: set[str] = set()
    for module in modules.values():
        for block in module.resources():
            if block.labels[0] in expected:
                seen.add(block.labels[0])
                assert _protection_flags(block) == expected[block.labels[0]], f"{module.name}: {block.address}"
                variable = module.variables()["enable_deletion_protection"]
                assert variable["default"] is True
    assert seen == set(expected)
    # The platform hands its own switch to every stateful unit; no environment turns it off.
    platform = modules["platform"]
    for name in ("uploads", "database", "service", "manage"):
        assert platform.modules()[name]["enable_deletion_protection"] == "${var.enable_deletion_protection}", name
    assert platform.variables()["enable_deletion_protection"]["default"] is True
    # Environments turn it off only when asked to, on the command line (see Teardown).
    for environment in environments.values():
        assert environment.modules()["platform"]["enable_deletion_protection"] == "${var.enable_deletion_protection}"
        assert environment.variables()["enable_deletion_protection"]["default"] is True
        assert "enable_deletion_protection" not in (environment.path / "terraform.tfvars.example").read_text()


def test_workloads_get_secrets_only_by_reference(modules: dict[str, Config]) -> None:
    for name in ("cloud-run-service", "cloud-run-job"):
        module = modules[name]
        for variable in ("env",):
            rules = module.variables()[variable]["validation"]
            assert any("SECRET|PASSWORD|TOKEN|_KEY" in rule["condition"] for rule in rules), name
    platform = modules["platform"].locals()
    for env_name in ("service_env", "job_env"):
        text = str(platform[env_name])
        assert not re.search(r"module\.secrets|var\.google_oauth_client_secret|database_url|signing_key\b", text), (
            env_name
        )
    for secret_env in ("service_secret_env", "job_secret_env"):
        for value in platform[secret_env].values():
            assert value.startswith("${module.secrets.ids["), value
