"""The `chaos` pipeline: its plan read offline, its command line, and that the experiment files
find everything they read in the runner's environment."""

import json
import re
from pathlib import Path

import dagger
import pytest

from ci import chaos, commands, main, perf, pipelines, services
from ci.experiments import actions, runner
from tests.infra.ci.chain import calls_named, every_call, image_addresses

PINNED = re.compile(r"[^\s@]+:[^\s@/]+@sha256:[0-9a-f]{64}")


def _plan(build: pipelines.Build, experiment: str | None = None) -> chaos.Plan:
    return pipelines.chaos_plan(build, experiment=experiment, run_id="run-1")


def _env(container: object) -> dict[str, str]:
    return {call.args["name"]: call.args["value"] for call in calls_named(container, "withEnvVariable")}


def _bindings(container: object) -> dict[str, dagger.Service]:
    return {call.args["alias"]: call.args["service"] for call in calls_named(container, "withServiceBinding")}


def test_the_runner_runs_every_experiment_beside_the_app_and_reports_instead_of_raising(
    build: pipelines.Build,
) -> None:
    plan = _plan(build)
    assert plan.experiments == runner.EXPERIMENTS
    run = calls_named(plan.runner, "withExec")[-1]
    assert run.args["args"][:3] == ["python", "-m", "ci.experiments.runner"]
    assert run.args["args"].count("--experiment") == len(runner.EXPERIMENTS)
    assert run.args["args"][run.args["args"].index("--journals") + 1] == chaos.JOURNALS_PATH
    # A failed experiment must come back as journals to read, not as an exception.
    assert run.args["expect"] == dagger.ReturnType.ANY.value
    assert calls_named(plan.runner, "dockerBuild", nested=True)[0].args["target"] == "dev"
    mounted = calls_named(plan.runner, "withDirectory")[0]
    assert mounted.args["path"] == f"{chaos.RUNNER_DIR}/ci"
    assert calls_named(plan.runner, "withFile")[0].args["path"] == chaos.K6_PATH
    for address in image_addresses(plan.runner):
        assert PINNED.fullmatch(address), address
    assert {chaos.TOXIPROXY_IMAGE, perf.K6_IMAGE, services.POSTGRES_IMAGE} <= set(image_addresses(plan.runner))


def test_the_app_reaches_its_database_and_storage_only_through_toxiproxy(build: pipelines.Build) -> None:
    plan = _plan(build)
    env = _env(plan.runner)
    assert env["DJANGO_ENV"] == "production"
    assert env["DATABASE_URL"] == f"postgres://postgres@{chaos.TOXIPROXY_ALIAS}:{chaos.DATABASE_PROXY_PORT}/app"
    assert env["STORAGE_EMULATOR_HOST"] == f"http://{chaos.TOXIPROXY_ALIAS}:{chaos.STORAGE_PROXY_PORT}"
    assert env["GCS_PUBLIC_ENDPOINT"] == services.STORAGE_EMULATOR_HOST, "clients fetch signed URLs directly"
    assert env["TOXIPROXY_URL"] == f"http://{chaos.TOXIPROXY_ALIAS}:{chaos.TOXIPROXY_API_PORT}"
    bindings = _bindings(plan.runner)
    assert set(bindings) == {services.POSTGRES_ALIAS, services.GCS_ALIAS, chaos.TOXIPROXY_ALIAS}
    toxiproxy = bindings[chaos.TOXIPROXY_ALIAS]
    assert calls_named(toxiproxy, "from")[0].args["address"] == chaos.TOXIPROXY_IMAGE
    config = calls_named(toxiproxy, "withNewFile")[0]
    assert config.args["path"] == chaos.TOXIPROXY_CONFIG_PATH
    assert calls_named(toxiproxy, "asService")[0].args["args"] == [
        "-host",
        services.ALL_INTERFACES,
        "-config",
        chaos.TOXIPROXY_CONFIG_PATH,
    ]
    assert set(_bindings(toxiproxy)) == {services.POSTGRES_ALIAS, services.GCS_ALIAS}
    for call in every_call(plan.runner):
        if call.name == "withEnvVariable":
            assert not re.search(r"(PASSWORD|TOKEN|SECRET)$", call.args["name"]), call


def test_toxiproxy_holds_every_proxy_the_experiments_name() -> None:
    proxies = {proxy["name"]: proxy for proxy in json.loads(chaos.toxiproxy_config())}
    named = {actions.DATABASE_PROXY}
    for name in runner.EXPERIMENTS:
        text = runner.experiment_file(name).read_text()
        named |= set(re.findall(r'"for_proxy": "([^"]+)"', text))
    assert named == set(proxies) == {"postgres", "gcs"}
    assert proxies["postgres"]["upstream"] == f"{services.POSTGRES_ALIAS}:{services.POSTGRES_PORT}"
    assert proxies["gcs"]["listen"] == f"{services.ALL_INTERFACES}:{chaos.STORAGE_PROXY_PORT}"


@pytest.mark.parametrize("name", runner.EXPERIMENTS)
def test_every_variable_an_experiment_reads_is_set_by_the_pipeline(name: str) -> None:
    configuration = json.loads(runner.experiment_file(name).read_text())["configuration"]
    secrets = json.loads(runner.experiment_file(name).read_text())["secrets"]["app"]
    required = {
        value["key"]
        for value in [*configuration.values(), *secrets.values()]
        if isinstance(value, dict) and value.get("type") == "env" and "default" not in value
    }
    work = Path(chaos.JOURNALS_PATH)
    app = runner.app_variables("http://127.0.0.1:8000", token="t", work_dir=work, pid_file=work / "p", command="c")
    given = set(chaos.runner_environment()) | set(app)
    assert required <= given


def test_one_experiment_alone(build: pipelines.Build) -> None:
    plan = _plan(build, "worker-killed")
    assert plan.experiments == ("worker-killed",)
    args = calls_named(plan.runner, "withExec")[-1].args["args"]
    assert args[args.index("--experiment") + 1] == "worker-killed"
    assert args.count("--experiment") == 1


def test_chaos_is_a_pipeline_with_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = commands.parser().parse_args(["chaos"])
    assert (arguments.experiment, arguments.output) == (None, commands.ARTIFACTS)
    with pytest.raises(SystemExit) as exit_info:
        main.main(["chaos", "--experiment", "meteor-strike"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'meteor-strike'" in capsys.readouterr().err


def test_chaos_run_always_rolls_back_and_logs_beside_its_journal() -> None:
    command = runner.chaos_command("worker-killed", journal_path=Path("/j/worker-killed.json"))
    assert command[command.index("--log-file") + 1] == "/j/worker-killed.chaostoolkit.log"
    assert command[command.index("--rollback-strategy") + 1] == "always"
    assert command[command.index("--journal-path") + 1] == "/j/worker-killed.json"
    assert command[-1] == str(runner.EXPERIMENTS_DIR / "worker-killed.json")
    with pytest.raises(ValueError, match="unknown experiment 'meteor-strike'"):
        runner.experiment_file("meteor-strike")
