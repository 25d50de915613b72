{
  description = "overengineered-backend: the whole toolchain at pinned versions (nix develop)";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

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

      # The Dagger CLI must match the dagger-io SDK in uv.lock (tests/infra/ci checks it).
      # nixpkgs packages an older release, so take the upstream binary, hashes as
      # published in dagger's own Nix repository.
      daggerVersion = "0.21.7";
      daggerReleases = {
        x86_64-linux = {
          platform = "linux_amd64";
          sha256 = "1iccivgxc5wnhdiya6mxgvlsa2ckvqajndaggk20yfcwdzy0lhs4";
        };
        aarch64-linux = {
          platform = "linux_arm64";
          sha256 = "0zb3k6fm99s97yjyp1jlxjmh9vm2djq7rar1xyafxbk98bf8s3kq";
        };
        x86_64-darwin = {
          platform = "darwin_amd64";
          sha256 = "0yq1cprzqz3qswmw0ajd0jixh3v4f250hlscpl1qkik7j14k0fw8";
        };
        aarch64-darwin = {
          platform = "darwin_arm64";
          sha256 = "0xwwkpkn0baghqb9v1z1craqyph91gml8a8rbnd0pr7gf76p455v";
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
            inherit (release) sha256;
          };
          sourceRoot = ".";
          installPhase = ''
            install -D -m 0755 dagger $out/bin/dagger
          '';
        };
    in
    {
      devShells = forAllSystems (
        system:
        let
          pkgs = pkgsFor system;
          python = pkgs.python312;
        in
        {
          default = pkgs.mkShell {
            packages = [
              python
              pkgs.uv
              (daggerFor pkgs)
              pkgs.terraform
              # The Docker CLI alone: swarm-deploy's SSH context, `docker stack config`.
              pkgs.docker-client
              pkgs.cloud-init
              pkgs.k6
              pkgs.postgresql_17
              pkgs.nginx
              pkgs.certbot
              pkgs.google-cloud-sdk
              pkgs.ruff
              pkgs.pyright
              pkgs.hadolint
              pkgs.shellcheck
              pkgs.zizmor
              pkgs.git
            ];
            # uv.lock stays the only list of Python dependencies: uv builds .venv with
            # this interpreter and never downloads another.
            env = {
              UV_PYTHON = python.interpreter;
              UV_PYTHON_DOWNLOADS = "never";
            }
            // lib.optionalAttrs pkgs.stdenv.isLinux {
              # Wheels from PyPI (psycopg-binary, google-crc32c) expect a manylinux system.
              LD_LIBRARY_PATH = lib.makeLibraryPath pkgs.pythonManylinuxPackages.manylinux1;
            };
            shellHook = ''
              unset PYTHONPATH
              uv sync --locked
              . .venv/bin/activate
            '';
          };
        }
      );

      formatter = forAllSystems (system: (pkgsFor system).nixfmt-rfc-style);
    };
}
