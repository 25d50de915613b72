"""A stand-in for the Dagger engine at its HTTP boundary, on loopback.

No engine can run here, so the real SDK (under `DAGGER_SESSION_PORT`, as `dagger run`
sets it) talks GraphQL to this server: a schema with just the API the pipelines use,
executed by graphql-core. It keeps every object's call chain, writes the files an export
would write (an OCI tarball labelled as the build asked), reads labels and digests from
the tarballs it imports, and answers `publish` with the digest a registry would report.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql

from ci import provenance
from tests.infra.ci.oci import read_labels, write_image
from tests.support.loopback import QuietHandler

SCHEMA = graphql.build_schema("""
scalar ContainerID
scalar FileID
scalar DirectoryID
scalar CacheVolumeID
scalar SecretID
input BuildArg { name: String!, value: String! }
type Query {
  version: String!
  container: Container!
  host: Host!
  directory: Directory!
  cacheVolume(key: String!): CacheVolume!
  secret(uri: String!): Secret!
}
type Host {
  file(path: String!): File!
  directory(path: String!, exclude: [String!], gitignore: Boolean): Directory!
}
type File { id: FileID!, export(path: String!): String! }
type CacheVolume { id: CacheVolumeID! }
type Secret { id: SecretID! }
type Directory {
  id: DirectoryID!
  directory(path: String!): Directory!
  dockerBuild(buildArgs: [BuildArg!]): Container!
}
type Container {
  id: ContainerID!
  sync: ContainerID!
  from(address: String!): Container!
  import(source: FileID!): Container!
  label(name: String!): String
  export(path: String!): String!
  publish(address: String!): String!
  file(path: String!): File!
  withLabel(name: String!, value: String!): Container!
  withEnvVariable(name: String!, value: String!): Container!
  withSecretVariable(name: String!, secret: SecretID!): Container!
  withExec(args: [String!]!): Container!
  withWorkdir(path: String!): Container!
  withDirectory(path: String!, source: DirectoryID!, include: [String!]): Container!
  withFile(path: String!, source: FileID!): Container!
  withMountedFile(path: String!, source: FileID!): Container!
  withMountedCache(path: String!, cache: CacheVolumeID!): Container!
  withMountedTemp(path: String!): Container!
  withRegistryAuth(address: String!, username: String!, secret: SecretID!): Container!
}
""")


@dataclass(frozen=True)
class Call:
    type_name: str
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Node:
    """An API object: the calls that made it, root first."""

    calls: tuple[Call, ...] = ()

    def then(self, call: Call) -> "Node":
        return Node((*self.calls, call))

    def named(self, name: str) -> list[Call]:
        return [call for call in self.calls if call.name == name]

    def execs(self) -> list[list[str]]:
        return [call.args["args"] for call in self.named("withExec")]

    def env(self) -> dict[str, str]:
        return {call.args["name"]: call.args["value"] for call in self.named("withEnvVariable")}

    def host_files(self) -> list[str]:
        """Paths of every host file this object reads, its arguments' included."""
        found = [call.args["path"] for call in self.calls if (call.type_name, call.name) == ("Host", "file")]
        for call in self.calls:
            for value in call.args.values():
                if isinstance(value, Node):
                    found += value.host_files()
        return found


@dataclass
class FakeEngine:
    """What the engine did (`log`), and how it behaves (`fails`, `registry_digest`)."""

    log: list[tuple[str, Node, str]] = field(default_factory=list)
    fails: Callable[[Node], bool] = lambda node: False
    # A registry that stores the image differently answers another digest.
    registry_digest: str | None = None
    _objects: dict[str, Node] = field(default_factory=dict)

    def leaves(self, kind: str) -> list[tuple[Node, str]]:
        return [(node, detail) for leaf, node, detail in self.log if leaf == kind]

    def _id(self, node: Node) -> str:
        key = f"id-{len(self._objects)}"
        self._objects[key] = node
        return key

    def _value(self, value: Any) -> Any:
        if isinstance(value, str) and value in self._objects:
            return self._objects[value]
        if isinstance(value, list):
            return [self._value(item) for item in value]
        return value

    def resolve(self, parent: Any, info: graphql.GraphQLResolveInfo, **args: Any) -> Any:
        node: Node = parent if isinstance(parent, Node) else Node()
        call = Call(info.parent_type.name, info.field_name, {k: self._value(v) for k, v in args.items()})
        match call.type_name, call.name:
            case _, "id":
                return self._id(node)
            case "Query", "version":
                return "v0.21.7"
            case "Container", "sync":
                self.log.append(("sync", node, ""))
                if self.fails(node):
                    raise graphql.GraphQLError(
                        "process did not complete successfully: exit code: 1",
                        extensions={
                            "_type": "EXEC_ERROR",
                            "cmd": node.execs()[-1],
                            "exitCode": 1,
                            "stdout": "",
                            "stderr": "failed on purpose",
                        },
                    )
                return self._id(node)
            case "Container", "export":
                self.log.append(("export", node, call.args["path"]))
                revision = next(
                    c.args["value"] for c in node.named("withLabel") if c.args["name"] == provenance.REVISION_LABEL
                )
                write_image(Path(call.args["path"]), revision=revision)
                return call.args["path"]
            case "File", "export":
                self.log.append(("export", node, call.args["path"]))
                Path(call.args["path"]).write_text("{}")
                return call.args["path"]
            case "Container", "label":
                return read_labels(Path(node.host_files()[0])).get(call.args["name"])
            case "Container", "publish":
                self.log.append(("publish", node, call.args["address"]))
                tarball = Path(node.host_files()[0])
                digest = self.registry_digest or provenance.manifest_digest(tarball)
                return f"{call.args['address']}@{digest}"
        return node.then(call)

    def handle(self, body: dict[str, Any]) -> dict[str, Any]:
        result = graphql.graphql_sync(
            SCHEMA,
            body["query"],
            variable_values=body.get("variables"),
            field_resolver=self.resolve,
        )
        return dict(result.formatted)


def handler_for(engine: FakeEngine) -> type[QuietHandler]:
    """The engine's HTTP endpoint: GraphQL over POST, as the SDK's session speaks it."""

    class Handler(QuietHandler):
        def do_POST(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler dispatches by the method name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            response = json.dumps(engine.handle(body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

    return Handler
