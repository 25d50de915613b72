{
  description = "overengineered-backend: the whole toolchain at pinned versions (nix develop)";

  # A supported release (25.11 is past its end of life). Its first pin in flake.lock came
  # from the public flake.lock of github.com/mitchellh/nixos-config (commit d314004d);
  # .github/workflows/flake-update.yml proposes the next one every week.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";

  outputs =
    { self, nixpkgs }:
    let
      lib = nixpkgs.lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f system);

      # The Dagger CLI must match the dagger-io SDK in uv.lock; `uv run python -m
      # ci.bump_dagger X.Y.Z` rewrites the version and these hashes (from the release's
      # checksums.txt). nixpkgs packages another release, so take the upstream binary.
      daggerVersion = "0.21.7";
      daggerReleases = {
        x86_64-linux = {
          platform = "linux_amd64";
          hash = "sha256-REMK/G+cOQ/EfE81KxXekwml6X69GuVjg5YX1t+OjMU=";
        };
        aarch64-linux = {
          platform = "linux_arm64";
          hash = "sha256-eA6N3EJpru6U7yGrfLBsou4Eq+xUhuulP0mnVJ2ZY30=";
        };
        x86_64-darwin = {
          platform = "darwin_amd64";
          hash = "sha256-iDswSZBnxokDvUxTCIpwZA/YowRNKsAr13h8/PNlAXs=";
        };
        aarch64-darwin = {
          platform = "darwin_arm64";
          hash = "sha256-uxRyzXHv5AuaXRkpROsLCV6PVWbhh50Whk8tYOednHc=";
        };
      };

      pkgsFor =
        system:
        import nixpkgs {
          inherit system;
          # Terraform is BSL-licensed: allow that one unfree package and nothing else.
          config.allowUnfreePredicate = pkg: lib.getName pkg == "terraform";
        };

      daggerFor =
        pkgs:
        let
          release = daggerReleases.${pkgs.stdenv.hostPlatform.system};
        in
        pkgs.stdenvNoCC.mkDerivation {
          pname = "dagger";
          version = daggerVersion;
          src = pkgs.fetchurl {
            url = "https://dl.dagger.io/dagger/releases/${daggerVersion}/dagger_v${daggerVersion}_${release.platform}.tar.gz";
            inherit (release) hash;
          };
          sourceRoot = ".";
          installPhase = ''
            install -D -m 0755 dagger $out/bin/dagger
          '';
        };

      # Every executable CI and the pipelines call, by the package that gives it: the
      # suite's REQUIRE_TOOLS (`python3 -m ci.checks required-tools`) and the pipelines'
      # own (ci/toolchain.py), checked by `nix develop --command python -m ci.toolchain`.
      toolsFor =
        pkgs:
        let
          postgresql = pkgs.postgresql_17;
        in
        {
          checkov = pkgs.checkov;
          hadolint = pkgs.hadolint;
          shellcheck = pkgs.shellcheck;
          nginx = pkgs.nginx;
          certbot = pkgs.certbot;
          pebble = pkgs.pebble;
          pebble-challtestsrv = pkgs.pebble;
          wrk = pkgs.wrk;
          envsubst = pkgs.gettext;
          curl = pkgs.curl;
          jq = pkgs.jq;
          nix = pkgs.nix;
          nix-instantiate = pkgs.nix;
          initdb = postgresql;
          pg_ctl = postgresql;
          dagger = daggerFor pkgs;
          uv = pkgs.uv;
          git = pkgs.git;
          terraform = pkgs.terraform;
          k6 = pkgs.k6;
          docker = pkgs.docker-client;
          gcloud = pkgs.google-cloud-sdk;
          node = pkgs.nodejs_22;
          npm = pkgs.nodejs_22;
          # CI runs the one docs/tools/package-lock.json pins (`npm ci --prefix docs/tools`).
          mmdc = pkgs.mermaid-cli;
          openssl = pkgs.openssl;
        }
        // lib.optionalAttrs pkgs.stdenv.isLinux {
          chromium = pkgs.chromium;
          cloud-init = pkgs.cloud-init;
        };
    in
    {
      devShells = forAllSystems (
        system:
        let
          pkgs = pkgsFor system;
          python = pkgs.python312;
          tools = toolsFor pkgs;
        in
        {
          default = pkgs.mkShell {
            packages = [ python ] ++ lib.unique (builtins.attrValues tools);
            # uv.lock stays the only list of Python dependencies: uv builds .venv with
            # this interpreter and never downloads another.
            env = {
              UV_PYTHON = python.interpreter;
              UV_PYTHON_DOWNLOADS = "never";
              # `python ci/main.py` (no `dagger run`) starts its engine with this CLI.
              _EXPERIMENTAL_DAGGER_CLI_BIN = "${tools.dagger}/bin/dagger";
            }
            // lib.optionalAttrs pkgs.stdenv.isLinux {
              # Wheels from PyPI (psycopg-binary, google-crc32c) expect a manylinux system.
              LD_LIBRARY_PATH = lib.makeLibraryPath pkgs.pythonManylinuxPackages.manylinux1;
            };
            # .venv comes first on PATH once activated: say which Nix tool it hides.
            shellHook = ''
              unset PYTHONPATH
              uv sync --locked
              for venv_tool in .venv/bin/*; do
                name=''${venv_tool##*/}
                outer=$(command -v "$name" || true)
                if [ -n "$outer" ] && [ "$(readlink -f "$outer")" != "$(readlink -f "$venv_tool")" ]; then
                  echo "nix develop: $name runs from .venv (uv.lock's version), not $outer" >&2
                fi
              done
              . .venv/bin/activate
            '';
            passthru.tools = tools;
          };
        }
      );

      formatter = forAllSystems (system: (pkgsFor system).nixfmt);
    };
}
