"""The `perf` pipeline: its plan read offline, its command line, and the decisions in ci/loadtest.py."""

import re

import dagger
import pytest

from ci import commands, loadtest, main, perf, pipelines, services
from tests.infra.ci.chain import calls_named, chain, every_call, execs, image_addresses, secret_uris

PINNED = re.compile(r"[^\s@]+:[^\s@/]+@sha256:[0-9a-f]{64}")
TARGET = "https://app---canary-abc123-ew.a.run.app"


def _plan(build: pipelines.Build, *, target: str | None = None, run_id: str = "run-1") -> perf.Plan:
    return pipelines.perf_plan(build, scenario="load", target=target, token_env="API_TOKEN", run_id=run_id)


def _env(container: object) -> dict[str, str]:
    return {call.args["name"]: call.args["value"] for call in calls_named(container, "withEnvVariable")}


def _bindings(container: object) -> dict[str, dagger.Service]:
    return {call.args["alias"]: call.args["service"] for call in calls_named(container, "withServiceBinding")}


def test_k6_runs_the_scenario_from_the_pinned_image_and_reports_instead_of_raising(
    build: pipelines.Build,
) -> None:
    k6 = _plan(build).k6
    assert chain(k6)[1].args["address"] == perf.K6_IMAGE
    run = calls_named(k6, "withExec")[-1]
    assert run.args["args"] == [
        "k6",
        "run",
        "--quiet",
        "--no-usage-report",
        "--summary-export",
        perf.SUMMARY_PATH,
        f"{perf.SCRIPTS_PATH}/load.js",
    ]
    # Exit 99 must come back as a status to report on, not as an exception.
    assert run.args["expect"] == dagger.ReturnType.ANY.value
    scripts = calls_named(k6, "withDirectory")[0]
    assert scripts.args["path"] == perf.SCRIPTS_PATH
    assert calls_named(scripts.args["source"], "directory")[-1].args["path"] == "ci/k6"


def test_without_a_target_k6_meets_the_built_image_on_postgres_and_the_emulator(build: pipelines.Build) -> None:
    plan = _plan(build)
    assert _env(plan.k6)["BASE_URL"] == f"http://{perf.APP_ALIAS}:{perf.APP_PORT}"
    bindings = _bindings(plan.k6)
    assert set(bindings) == {perf.APP_ALIAS, services.GCS_ALIAS}, "k6 must reach the app and the signed URLs"

    app = bindings[perf.APP_ALIAS]
    assert calls_named(app, "dockerBuild", nested=True), "the app is not the image built from the Dockerfile"
    assert not calls_named(app, "asService")[0].args.get("args"), "the image's own command must serve"
    env = _env(app)
    assert env["DJANGO_ENV"] == "production"
    assert env["DJANGO_ALLOWED_HOSTS"] == perf.APP_ALIAS
    assert env["DATABASE_URL"] == services.DATABASE_URL
    assert env["STORAGE_EMULATOR_HOST"] == services.STORAGE_EMULATOR_HOST
    assert env["GCS_BUCKET"] == perf.BUCKET
    secrets = {call.args["name"] for call in calls_named(app, "withSecretVariable")}
    assert secrets == {"DJANGO_SECRET_KEY"}
    assert set(_bindings(app)) == {services.POSTGRES_ALIAS, services.GCS_ALIAS}

    emulator = calls_named(bindings[services.GCS_ALIAS], "asService")[0].args["args"]
    assert emulator[:2] == ["gcp-storage-emulator", "start"]
    assert emulator[emulator.index("--default-bucket") + 1] == perf.BUCKET
    assert calls_named(bindings[services.GCS_ALIAS], "dockerBuild", nested=True)[0].args["target"] == "dev"


def test_the_token_comes_from_the_migrated_database_the_app_serves(build: pipelines.Build) -> None:
    plan = _plan(build)
    token = calls_named(plan.k6, "withMountedFile")[0]
    assert token.args["path"] == perf.TOKEN_PATH
    assert token.args["owner"] == perf.K6_USER
    assert _env(plan.k6)["API_TOKEN_FILE"] == perf.TOKEN_PATH
    issuer = token.args["source"]
    assert execs(issuer)[-2:] == [
        ["app", "migrate", "--noinput"],
        ["app", "issue_token", perf.PERF_USER_EMAIL, "--create-user"],
    ]
    assert calls_named(issuer, "withExec")[-1].args["redirectStdout"] == calls_named(issuer, "file")[0].args["path"]
    # Postgres is started before k6 and kept up, so migrations, token and app share one database.
    assert len(plan.services) == 1
    postgres = plan.services[0]
    assert chain(postgres)[1].args["address"] == services.POSTGRES_IMAGE
    assert chain(_bindings(issuer)[services.POSTGRES_ALIAS]) == chain(postgres)
    served = _bindings(_bindings(plan.k6)[perf.APP_ALIAS])
    assert chain(served[services.POSTGRES_ALIAS]) == chain(postgres)


def test_every_run_is_new_to_the_cache(build: pipelines.Build) -> None:
    first, second = _plan(build, run_id="one"), _plan(build, run_id="two")
    assert _env(first.k6)["PERF_RUN_ID"] == "one"
    assert _env(second.k6)["PERF_RUN_ID"] == "two"
    issuer = calls_named(first.k6, "withMountedFile")[0].args["source"]
    assert _env(issuer)["PERF_RUN_ID"] == "one"


def test_with_a_target_only_k6_runs_and_the_token_is_a_secret_from_the_environment(build: pipelines.Build) -> None:
    plan = _plan(build, target=TARGET + "/")
    assert plan.services == ()
    assert _bindings(plan.k6) == {}
    assert not calls_named(plan.k6, "dockerBuild", nested=True), "nothing is built for a target"
    assert _env(plan.k6)["BASE_URL"] == TARGET
    token = calls_named(plan.k6, "withMountedSecret")[0]
    assert token.args["path"] == perf.TOKEN_PATH
    assert isinstance(token.args["source"], dagger.Secret)
    assert secret_uris(token.args["source"]) == ["env://API_TOKEN"]


@pytest.mark.parametrize("target", [None, TARGET])
def test_the_plan_pins_every_image_and_keeps_credentials_out_of_plain_variables(
    build: pipelines.Build, target: str | None
) -> None:
    plan = _plan(build, target=target)
    for address in image_addresses(plan.k6):
        assert PINNED.fullmatch(address), address
    for call in every_call(plan.k6):
        if call.name == "withEnvVariable":
            assert not re.search(r"(PASSWORD|TOKEN|SECRET|KEY)$", call.args["name"]), call


def test_perf_is_a_pipeline_with_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main.main(["perf", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--scenario", "--target", "--token-env", "--output"):
        assert flag in out
    arguments = commands.parser().parse_args(["perf"])
    assert (arguments.scenario, arguments.target, arguments.token_env) == ("load", None, "API_TOKEN")
    assert arguments.output == commands.ROOT / "build"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["perf", "--scenario", "breakpoint"], "invalid choice: 'breakpoint'"),
        (["perf", "--target", "ftp://example.com"], "--target must be an http(s) URL"),
        (["perf", "--target", TARGET], "perf --target needs the target's API token in $API_TOKEN"),
    ],
)
def test_perf_usage_errors_come_before_any_engine(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("API_TOKEN", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_every_scenario_has_its_script() -> None:
    scripts = {path.name for path in loadtest.K6_DIR.glob("*.js")}
    assert {loadtest.script(name) for name in loadtest.SCENARIOS} <= scripts
    expected = loadtest.ERROR_SCENARIO.format(scenario="breakpoint", names=", ".join(loadtest.SCENARIOS))
    with pytest.raises(ValueError, match=re.escape(expected)):
        loadtest.script("breakpoint")


SUMMARY = {
    "metrics": {
        "http_reqs": {"count": 200, "rate": 19.5},
        "http_req_failed": {"passes": 0, "fails": 200, "value": 0.015, "thresholds": {"rate<0.001": True}},
        "checks": {"passes": 197, "fails": 3, "value": 0.985, "thresholds": {"rate>0.999": True}},
        "http_req_duration{flow:list}": {
            "count": 50,
            "p(95)": 12.5,
            "p(99)": 40.25,
            "thresholds": {"p(95)<200": False},
        },
        "http_req_duration{flow:get,phase:recovery}": {"count": 5, "p(95)": 1.0, "p(99)": 2.0},
    }
}


def test_the_verdict_names_the_crossed_thresholds_or_the_early_stop() -> None:
    assert loadtest.verdict("load", loadtest.EXIT_PASSED, SUMMARY) is None
    assert loadtest.verdict("load", loadtest.EXIT_THRESHOLDS_FAILED, SUMMARY) == (
        "k6 load: thresholds crossed (exit 99): checks: rate>0.999; http_req_failed: rate<0.001"
    )
    # A script error, a bad option, an interrupted run: no summary to read.
    assert loadtest.verdict("load", 107, None) == loadtest.ERROR_K6.format(scenario="load", code=107)


def test_the_report_gives_rates_and_each_flows_percentiles() -> None:
    assert loadtest.error_rate(SUMMARY) == 0.015
    assert loadtest.error_rate({"metrics": {}}) == 0
    assert loadtest.flow_figures(SUMMARY) == [loadtest.FlowFigures(flow="list", requests=50, p95_ms=12.5, p99_ms=40.25)]
    lines = loadtest.report(SUMMARY).splitlines()
    assert lines[0] == "requests: 200 (19.5/s), failed: 1.50%, checks passed: 98.50%"
    assert lines[2].split() == ["list", "50", "12.5", "40.2"]


@pytest.mark.parametrize("target", ["app:8000", "ftp://example.com", "https://", "/api/v1"])
def test_a_target_must_be_an_http_url(target: str) -> None:
    with pytest.raises(ValueError, match=re.escape(loadtest.ERROR_TARGET.format(target=target))):
        loadtest.target_check(target)
