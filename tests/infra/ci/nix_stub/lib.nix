{
  genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
  getName = pkg: pkg.pname or (builtins.parseDrvName pkg.name).name;
  optionalAttrs = condition: attrs: if condition then attrs else { };
  makeLibraryPath = packages: builtins.concatStringsSep ":" (map (p: "${p}/lib") packages);
}
