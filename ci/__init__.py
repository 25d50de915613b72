"""CI/CD pipelines for the file-drop backend: `dagger run python ci/main.py <pipeline>`.

`checks` names the commands (no Dagger import, so `.ci/run` can run them natively);
the other modules build Dagger call chains lazily, and `main` is the only place that
connects to an engine and awaits them.
"""
