{
  genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
  getName = pkg: pkg.pname or (builtins.parseDrvName pkg.name).name;
  optionalAttrs = condition: attrs: if condition then attrs else { };
  unique = builtins.foldl' (kept: x: if builtins.elem x kept then kept else kept ++ [ x ]) [ ];
  makeLibraryPath = packages: builtins.concatStringsSep ":" (map (p: "${p}/lib") packages);
}
