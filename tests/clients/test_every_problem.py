"""Every problem every operation documents is a typed answer of the generated Python client.

For each operation of infra/openapi.yaml, each documented error status, each shape the status
may take (the branches of a `oneOf`) and each `code` that shape allows, a problem document is
made from the spec and handed to the generated operation's parser as the server's answer. The
parser must return a model (not `None`, not an error) whose `code` (or, for SCIM, `status`) is
the one sent, with every extension member the shape declares (`frees_at`, `field`, ...) as an
attribute of its own, not left over in `additional_properties`. A generator that silently drops
a response or a member, as openapi-python-client does with properties written beside an `allOf`
instead of inside it, fails here. Needs no server: the generated package `tenantry_client` on
PYTHONPATH (infra/scripts/clients.sh).
"""

import importlib
import re
import unittest
from pathlib import Path

import httpx
from ruamel.yaml import YAML
from tenantry_client import Client

SPEC = YAML(typ="safe").load(Path(__file__).resolve().parents[2] / "infra" / "openapi.yaml")
BASE_MEMBERS = {"type", "title", "status", "detail", "code"}
SAMPLES = {
    "Uuid": "0199a000-0000-7000-8000-000000000000",
    "Timestamp": "2026-12-04T08:00:00.000Z",
}


def lookup(reference):
    node = SPEC
    for part in reference.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(node):
    """(the node at the end of its `$ref`s, the name of the schema referred to last)."""
    name = None
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = lookup(node["$ref"])
    return node, name


def branches(schema):
    """The alternatives of a schema: each branch of a `oneOf`, else the schema itself."""
    schema, _ = deref(schema)
    if "oneOf" in schema:
        return [b for branch in schema["oneOf"] for b in branches(branch)]
    return [schema]


def properties(schema, found=None):
    """Property name -> the list of its schemas, through `allOf` and `$ref`."""
    found = {} if found is None else found
    schema, _ = deref(schema)
    for name, prop in schema.get("properties", {}).items():
        found.setdefault(name, []).append(prop)
    for part in schema.get("allOf", []):
        properties(part, found)
    return found


def allowed(schemas):
    """The values a property may take: the narrowest `enum` (or `const`) among its schemas."""
    narrowest = None
    for schema in schemas:
        schema, _ = deref(schema)
        values = schema.get("enum", [schema["const"]] if "const" in schema else None)
        if values is not None and (narrowest is None or len(values) < len(narrowest)):
            narrowest = values
    return narrowest


def sample(schemas):
    """A value for an extension member, from its schema."""
    for schema in schemas:
        resolved, name = deref(schema)
        if name in SAMPLES:
            return SAMPLES[name]
        if resolved.get("type") == "integer":
            return max(1, resolved.get("minimum", 1))
        if resolved.get("type") == "string":
            return "body"
    raise AssertionError(f"no sample for {schemas}")


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def operations():
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                yield method.upper(), path, operation


class EveryDocumentedProblemIsATypedAnswer(unittest.TestCase):
    def test_every_problem_of_every_operation(self):
        client = Client(base_url="http://127.0.0.1:9")
        checked, operations_checked = 0, set()
        for method, path, operation in operations():
            module = importlib.import_module(
                f"tenantry_client.api.{operation['tags'][0]}.{snake(operation['operationId'])}"
            )
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    continue
                response, _ = deref(response)
                for media, content in response.get("content", {}).items():
                    for branch in branches(content["schema"]):
                        members = properties(branch)
                        scim = media == "application/scim+json"
                        codes = [None] if scim else allowed(members["code"])
                        for code in codes:
                            what = f"{method} {path} {status} {code or media}"
                            with self.subTest(what):
                                self.check(module, client, int(status), media, members, code)
                                checked += 1
                                operations_checked.add(operation["operationId"])
        # Every operation documents errors; a walk that misses one is a broken walk.
        every = {operation["operationId"] for _, _, operation in operations()}
        self.assertEqual(operations_checked, every)
        print(f"\n{checked} documented problems parsed into their types", flush=True)

    def check(self, module, client, status, media, members, code):
        if code is None:
            body = {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": str(status),
                "detail": "body",
            }
        else:
            body = {
                "type": f"urn:tenantry:problem:{code}",
                "title": "Title",
                "status": status,
                "detail": "body",
                "code": code,
            }
            for name, schemas in members.items():
                if name not in BASE_MEMBERS:
                    body[name] = sample(schemas)
        answer = httpx.Response(status, json=body, headers={"content-type": media})
        parsed = module._parse_response(client=client, response=answer)
        self.assertIsNotNone(parsed, "the client has no type for this answer")
        if code is None:
            self.assertEqual(str(parsed.status), str(status))
            return
        self.assertEqual((int(parsed.status), str(parsed.code)), (status, code))
        for name in body:
            attribute = "type_" if name == "type" else name
            self.assertTrue(hasattr(parsed, attribute), f"{type(parsed).__name__} lacks {name}")
            self.assertNotIn(name, parsed.additional_properties, f"{name} was not parsed")


if __name__ == "__main__":
    unittest.main()
