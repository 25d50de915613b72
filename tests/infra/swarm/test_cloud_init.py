"""deploy/swarm/cloud-init.yaml: rendered by Terraform's own templatefile, validated by
cloud-init's schema, and its edge steps replayed: the nginx they render passes `nginx -t`."""

import base64
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.edge.certs import Authority
from tests.infra.edge.nginx_runner import Edge, edge_env, edge_running, nginx_check
from tests.infra.terraform import console
from tests.support.paths import REPO_ROOT
from tests.support.tools import system_tool

TEMPLATE = REPO_ROOT / "deploy" / "swarm" / "cloud-init.yaml"
MODULE = REPO_ROOT / "terraform" / "modules" / "swarm-vm"
DOMAIN = "files.example.test"
DEPLOY_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEKeyForTheTestsOnly deploy@ci"
VARIABLES = {
    "domain": DOMAIN,
    "acme_email": "ops@example.test",
    "zone": "europe-west1-b",
    "deploy_ssh_public_keys": [DEPLOY_KEY],
    "repository_root": str(REPO_ROOT),
}
# How an environment turns nginx/cloudflare/ips.conf into the module's firewall input
# (terraform/modules/swarm-vm/README.md shows the same expression).
CLOUDFLARE_RANGES_EXPRESSION = (
    '[for m in regexall("set_real_ip_from ([0-9.]+/[0-9]+);", file("{root}/nginx/cloudflare/ips.conf")) : m[0]]'
)
DOCKER_KEY_FINGERPRINT = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
INSTALL_CLOUD_INIT = "apt-get install --no-install-recommends cloud-init"


def _hcl(value: object) -> str:
    """A Python value as an HCL expression (JSON is one, but for object keys)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {_hcl(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)


def terraform_eval(expression: str, tmp_path: Path) -> Any:
    """An expression evaluated by `terraform console` (no configuration, no provider), as JSON."""
    binary = system_tool("terraform", "Terraform's release binary, in /usr/local/bin")
    return console.evaluate(binary, expression, directory=tmp_path)


@pytest.fixture(scope="module")
def user_data(tmp_path_factory: pytest.TempPathFactory) -> str:
    scratch = tmp_path_factory.mktemp("terraform")
    return terraform_eval(f'templatefile("{TEMPLATE}", {_hcl(VARIABLES)})', scratch)


@pytest.fixture(scope="module")
def cloud_config(user_data: str) -> dict[str, Any]:
    return yaml.safe_load(user_data)


def _schema(path: Path) -> subprocess.CompletedProcess[str]:
    cloud_init = system_tool("cloud-init", INSTALL_CLOUD_INIT)
    return subprocess.run([cloud_init, "schema", "--config-file", str(path)], capture_output=True, text=True)


def test_the_rendered_user_data_is_valid_cloud_config(user_data: str, tmp_path: Path) -> None:
    path = tmp_path / "user-data"
    path.write_text(user_data)
    result = _schema(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert user_data.startswith("#cloud-config\n"), "the swarm-vm module refuses anything else"


def test_cloud_inits_schema_check_is_real(user_data: str, tmp_path: Path) -> None:
    path = tmp_path / "user-data"
    path.write_text(user_data.replace("lock_passwd: true", "lock_passwd: [true]"))
    result = _schema(path)
    assert result.returncode != 0
    assert "lock_passwd" in result.stdout + result.stderr


def test_docker_comes_from_dockers_apt_repository_with_its_signing_key(cloud_config: dict[str, Any]) -> None:
    source = cloud_config["apt"]["sources"]["docker.list"]
    assert source["source"].startswith("deb [signed-by=$KEY_FILE] https://download.docker.com/linux/ubuntu ")
    assert source["keyid"] == DOCKER_KEY_FINGERPRINT
    assert {"docker-ce", "docker-ce-cli", "containerd.io", "nginx", "certbot"} <= set(cloud_config["packages"])


def _commands(cloud_config: dict[str, Any]) -> list[str]:
    """runcmd's steps as text: a list is an argv, a string a shell line."""
    return [" ".join(step) if isinstance(step, list) else step for step in cloud_config["runcmd"]]


def test_the_node_is_a_swarm_manager_labelled_for_the_stacks_placement(cloud_config: dict[str, Any]) -> None:
    commands = _commands(cloud_config)
    assert any("docker swarm init" in command for command in commands)
    labels = next(command for command in commands if "docker node update" in command)
    stack = (REPO_ROOT / "deploy" / "swarm" / "stack.yaml").read_text()
    for label, used_as in (
        ("overengineered-backend.db=true", "node.labels.overengineered-backend.db == true"),
        ("zone=europe-west1-b", "spread: node.labels.zone"),
    ):
        assert f"--label-add {label}" in labels
        assert used_as in stack, f"the stack no longer uses the {label} label"


def test_the_deploy_user_has_the_given_key_and_may_use_docker(cloud_config: dict[str, Any]) -> None:
    deploy = next(user for user in cloud_config["users"] if isinstance(user, dict) and user["name"] == "deploy")
    assert deploy["ssh_authorized_keys"] == [DEPLOY_KEY]
    assert deploy["lock_passwd"] is True
    assert "usermod --append --groups docker deploy" in cloud_config["runcmd"]


def test_the_vm_runs_the_edge_files_of_this_repository(cloud_config: dict[str, Any]) -> None:
    written = {entry["path"]: entry for entry in cloud_config["write_files"]}
    for path, entry in written.items():
        if path.startswith("/opt/overengineered-backend/"):
            source = REPO_ROOT / path.removeprefix("/opt/overengineered-backend/")
            assert base64.b64decode(entry["content"]) == source.read_bytes(), path
            assert entry["permissions"] == ("0755" if path.endswith(".sh") else "0644"), path
    assert "/opt/overengineered-backend/nginx/render.sh" in written
    hook = written["/etc/letsencrypt/renewal-hooks/deploy/50-reload-nginx.sh"]
    assert base64.b64decode(hook["content"]) == (REPO_ROOT / "deploy/vm/certbot-deploy-hook.sh").read_bytes()
    # Deferred: nginx's own start during its install must not read an unrendered configuration.
    assert written["/etc/systemd/system/nginx.service.d/edge.conf"]["defer"] is True


def test_the_edge_proxies_to_the_stacks_published_port_behind_cloudflare(cloud_config: dict[str, Any]) -> None:
    edge = dict(
        line.split("=", 1)
        for line in next(e for e in cloud_config["write_files"] if e["path"].endswith("edge.env"))["content"].split()
    )
    stack = yaml.safe_load((REPO_ROOT / "deploy" / "swarm" / "stack.yaml").read_text())
    (port,) = stack["services"]["app"]["ports"]
    assert edge["APP_UPSTREAM"] == f"127.0.0.1:{port['published']}"
    assert edge["EDGE_DOMAIN"] == DOMAIN
    assert edge["EDGE_CLOUDFLARE"] == "1"
    assert edge["EDGE_ORIGIN_PULL_CA"], "authenticated origin pulls: Cloudflare's certificate is required"


def _remapped(text: str, root: Path, prefix: Path, authority_files: dict[str, Path]) -> str:
    """The VM's paths, moved under the test's directories."""
    replacements = {
        "/opt/overengineered-backend": str(root / "opt"),
        "/etc/overengineered-backend": str(root / "etc"),
        "/etc/nginx/edge": str(prefix / "conf"),
        "/var/www/acme": str(root / "acme"),
        "/etc/ssl/certs/ssl-cert-snakeoil.pem": str(authority_files["cert"]),
        "/etc/ssl/private/ssl-cert-snakeoil.key": str(authority_files["key"]),
    }
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def test_the_nginx_that_cloud_inits_steps_render_passes_nginx_t(cloud_config: dict[str, Any], tmp_path: Path) -> None:
    system_tool("nginx", "apt-get install nginx")
    system_tool("envsubst", "apt-get install gettext-base")
    root, prefix = tmp_path / "vm", tmp_path / "nginx"
    authority = Authority.create("snakeoil and origin-pull stand-in")
    files = {"cert": tmp_path / "snakeoil.pem", "key": tmp_path / "snakeoil.key"}
    authority.issue(files["cert"], files["key"], hosts=(DOMAIN,))
    for entry in cloud_config["write_files"]:
        path = Path(_remapped(entry["path"], root, prefix, files))
        if not path.is_relative_to(root):
            continue  # systemd units and Docker's settings: not the edge's rendering
        path.parent.mkdir(parents=True, exist_ok=True)
        content = base64.b64decode(entry["content"]) if entry.get("encoding") == "b64" else entry["content"].encode()
        path.write_bytes(_remapped(content.decode(), root, prefix, files).encode())
        path.chmod(int(entry["permissions"], 8))
    # The curl step fetches Cloudflare's origin-pull CA; a CA made here stands in for it.
    authority.write(root / "etc" / "cloudflare-origin-pull-ca.pem")

    (render,) = [
        step for step, text in zip(cloud_config["runcmd"], _commands(cloud_config), strict=True) if "render.sh" in text
    ]
    assert render[:2] == ["sh", "-c"]
    command = _remapped(render[2], root, prefix, files)
    env = edge_env(prefix, upstream_port=1)
    subprocess.run(["sh", "-c", command], env=env, check=True, capture_output=True, text=True)

    edge = Edge(target="vm", prefix=prefix, env=env)
    checked = nginx_check(edge)
    assert checked.returncode == 0, checked.stderr
    site = (prefix / "conf" / "site.conf").read_text()
    assert f"server_name {DOMAIN};" in site
    assert "server 127.0.0.1:8000;" in (prefix / "conf" / "nginx.conf").read_text()
    assert "cloudflare-origin-pull.conf" in (prefix / "conf" / "generated" / "options.conf").read_text()
    with edge_running(edge):
        redirect = subprocess.run(
            [
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{redirect_url}",
                "-H",
                f"Host: {DOMAIN}",
                edge.http_url("/x"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    assert redirect.stdout.startswith("301 https://files.example.test"), redirect.stdout


def test_the_firewall_gets_exactly_the_cloudflare_ranges_nginx_trusts(tmp_path: Path) -> None:
    ranges = terraform_eval(CLOUDFLARE_RANGES_EXPRESSION.format(root=REPO_ROOT), tmp_path)
    trusted = re.findall(r"set_real_ip_from (\S+);", (REPO_ROOT / "nginx/cloudflare/ips.conf").read_text())
    assert ranges == [entry for entry in trusted if ":" not in entry]
    assert ranges, "no IPv4 range: the firewall would open nothing"
    for environment in ("staging", "production"):
        caller = REPO_ROOT / "terraform" / "environments" / environment / "main.tf"
        assert CLOUDFLARE_RANGES_EXPRESSION.format(root="${local.repository_root}") in caller.read_text()


def test_the_module_is_formatted_as_terraform_fmt_writes_it() -> None:
    terraform = system_tool("terraform", "Terraform's release binary, in /usr/local/bin")
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(MODULE)],
        env={"CHECKPOINT_DISABLE": "1", "PATH": "/usr/bin:/bin", "TF_CLI_CONFIG_FILE": "/dev/null"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
