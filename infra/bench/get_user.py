"""GET /tenants/{tenant_id}/users/{user_id} written the usual Python way, for `make bench`.

The Python side of the cold-start comparison: boto3 and PyJWT, run by Amazon's runtime
interface client (`python -m awslambdaric get_user.handler`). It does the work of the Rust
`get-user` function: the API Gateway (HTTP API) event, the EdDSA token checked against the
same key set (`kid`, `iss`, `aud`, `exp`), one consistent BatchGetItem of the caller, its
session and the target, the same liveness checks, the same JSON view. It is not part of
the service.
"""

import base64
import datetime
import json
import os

import boto3
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

TABLE = os.environ["TABLE_NAME"]
ISSUER = os.environ.get("TENANTRY_TOKEN_ISSUER", "tenantry")
AUDIENCE = os.environ.get("TENANTRY_TOKEN_AUDIENCE", "tenantry-api")

# Clients and keys once per cold start, as every Python Lambda guide says.
dynamodb = boto3.client("dynamodb", endpoint_url=os.environ.get("DYNAMODB_ENDPOINT"))


def _verifiers():
    keys = {}
    for key in json.loads(os.environ["TENANTRY_SIGNING_KEYS"])["keys"]:
        if "private_key" in key:
            public = load_pem_private_key(key["private_key"].encode(), None).public_key()
        else:
            raw = base64.urlsafe_b64decode(key["public_key"] + "==")
            public = Ed25519PublicKey.from_public_bytes(raw)
        keys[key["kid"]] = public
    return keys


VERIFIERS = _verifiers()


def problem(status, code):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/problem+json"},
        "body": json.dumps({"type": "about:blank", "status": status, "code": code}),
    }


def principal(event):
    header = (event.get("headers") or {}).get("authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = header[len("Bearer "):]
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = VERIFIERS.get(kid)
        if key is None:
            return None
        return jwt.decode(
            token, key, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER, leeway=30
        )
    except jwt.PyJWTError:
        return None


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def plain(item):
    out = {}
    for name, value in item.items():
        (kind, inner), = value.items()
        out[name] = int(inner) if kind == "N" else inner
    return out


def handler(event, context):
    claims = principal(event)
    if claims is None:
        return problem(401, "unauthenticated")
    params = event.get("pathParameters") or {}
    tenant_id, user_id = params.get("tenant_id"), params.get("user_id")
    actor_key = {"PK": {"S": "TENANT#" + claims["tid"]}, "SK": {"S": "USER#" + claims["sub"]}}
    session_key = {"PK": {"S": "SESSION#" + claims["sid"]}, "SK": {"S": "SESSION"}}
    target_key = {"PK": {"S": "TENANT#" + tenant_id}, "SK": {"S": "USER#" + user_id}}
    keys = [actor_key, session_key]
    if target_key != actor_key:
        keys.append(target_key)
    found = dynamodb.batch_get_item(
        RequestItems={TABLE: {"Keys": keys, "ConsistentRead": True}}
    )["Responses"].get(TABLE, [])
    by_key = {(i["PK"]["S"], i["SK"]["S"]): plain(i) for i in found}
    actor = by_key.get((actor_key["PK"]["S"], actor_key["SK"]["S"]))
    session = by_key.get((session_key["PK"]["S"], session_key["SK"]["S"]))
    target = by_key.get((target_key["PK"]["S"], target_key["SK"]["S"]))
    live = (
        session is not None
        and session.get("user_id") == claims["sub"]
        and session.get("token_epoch") == claims["ep"]
        and "revoked_at" not in session
        and now() < session["expires_at"]
    )
    if actor is None or not live or "deleted_at" in actor or actor["token_epoch"] != claims["ep"]:
        return problem(401, "unauthenticated")
    if actor["role"] != "super_admin" and actor["tenant_id"] != tenant_id:
        return problem(404, "user_not_found")
    if target is None:
        return problem(404, "user_not_found")
    deleted = "deleted_at" in target
    if deleted and actor["role"] not in ("admin", "super_admin"):
        return problem(404, "user_not_found")
    view = {
        "id": target["id"],
        "tenant_id": target["tenant_id"],
        "username": target["username"],
        "email": target["email"],
        "role": target["role"],
        "is_owner": target.get("is_owner", False),
        "state": "deleted" if deleted else "active",
        "created_at": target["created_at"],
        "updated_at": target["updated_at"],
    }
    if deleted:
        view.update(
            deleted_at=target["deleted_at"],
            deleted_by=target.get("deleted_by"),
            restorable_until=target.get("purge_after"),
            purge_after=target.get("purge_after"),
        )
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(view),
    }
