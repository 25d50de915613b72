# Called as `import nixpkgs { system; config; }`: every package is an inert derivation
# named after the attribute, so evaluation proves the names and the shape, not builds.
{ system, config ? { } }:
let
  stub =
    name: attrs:
    derivation (
      {
        inherit name system;
        builder = "/bin/sh";
        args = [ "-c" "echo stub > $out" ];
      }
      // attrs
    );
  tool = name: stub name { };
  terraform = stub "terraform" { pname = "terraform"; };
  unfreeAllowed = pkg: (config.allowUnfreePredicate or (_: false)) pkg;
in
assert unfreeAllowed terraform;
{
  stdenv = {
    isLinux = builtins.match ".*-linux" system != null;
    hostPlatform = { inherit system; };
  };
  stdenvNoCC.mkDerivation =
    attrs:
    stub "${attrs.pname}-${attrs.version}" {
      inherit (attrs) src;
      installPhase = attrs.installPhase;
    };
  fetchurl = { url, hash }: stub (baseNameOf url) { inherit url hash; };
  mkShell =
    attrs:
    stub "nix-shell" (
      {
        packages = attrs.packages;
        shellHook = attrs.shellHook;
      }
      // attrs.env
    )
    // attrs.passthru;
  python312 = stub "python3-3.12" { } // {
    interpreter = "/stub/bin/python3.12";
  };
  pythonManylinuxPackages.manylinux1 = [ (tool "glibc") ];
  inherit terraform;
  uv = tool "uv";
  k6 = tool "k6";
  postgresql_17 = tool "postgresql";
  nginx = tool "nginx";
  certbot = tool "certbot";
  pebble = tool "pebble";
  wrk = tool "wrk";
  gettext = tool "gettext";
  curl = tool "curl";
  jq = tool "jq";
  nix = tool "nix";
  checkov = tool "checkov";
  google-cloud-sdk = tool "google-cloud-sdk";
  docker-client = tool "docker";
  hadolint = tool "hadolint";
  shellcheck = tool "shellcheck";
  git = tool "git";
  nodejs_22 = tool "nodejs";
  mermaid-cli = tool "mermaid-cli";
  openssl = tool "openssl";
  nixfmt = tool "nixfmt";
}
// (
  if builtins.match ".*-linux" system != null then
    {
      chromium = tool "chromium";
      cloud-init = tool "cloud-init";
    }
  else
    { }
)
