# A stand-in for nixpkgs with just the attributes the project's flake touches, so
# `nix flake check --offline` can evaluate its output structure without a download.
{
  outputs = _: {
    lib = import ./lib.nix;
  };
}
