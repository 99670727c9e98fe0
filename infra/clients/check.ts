// Type-checked (tsc --noEmit --strict) against the types openapi-typescript generates from
// infra/openapi.yaml (infra/scripts/clients.sh, `make test`): what a TypeScript client relies on
// must hold, or the check fails. It is compiled beside the generated ./schema.d.ts.
import type { components, operations } from "./schema";

type Json<R> = R extends { content: { "application/json": infer B } } ? B : never;
type ProblemOf<R> = R extends { content: { "application/problem+json": infer B } } ? B : never;
type DeleteUser = operations["deleteUser"]["responses"];

// An honest delete says until when it can be undone and when it is final.
export const deletion: Json<DeleteUser[200]> = {
  id: "0199a000-0000-7000-8000-000000000000",
  state: "deleted",
  deleted_at: "2026-12-04T08:00:00.000Z",
  restorable_until: "2027-01-03T08:00:00.000Z",
  purge_after: "2027-01-03T08:00:00.000Z",
  sessions_revoked: true,
};

// A refusal is a problem whose code is one the operation documents: a client can branch on it
// exhaustively, and a code the operation never answers does not type-check.
export function explain(problem: ProblemOf<DeleteUser[403]>): string {
  switch (problem.code) {
    case "cannot_delete_self":
    case "insufficient_role":
    case "super_admin_protected":
      return problem.detail;
    case "owner_protected":
      return "transfer ownership first";
    case "admin_cannot_delete_admin":
      return "ask a super admin";
    default: {
      const unreachable: never = problem.code;
      return unreachable;
    }
  }
}
// @ts-expect-error `tenant_exists` is no refusal of a delete.
export const notADeleteRefusal: ProblemOf<DeleteUser[403]>["code"] = "tenant_exists";

// A name held by a deleted user says whose it is and when it frees.
type CreateUserConflict = ProblemOf<operations["createUser"]["responses"][409]>;
export function freesAt(problem: CreateUserConflict): string | undefined {
  return "frees_at" in problem ? problem.frees_at : undefined;
}
export const held: components["schemas"]["HeldClaimProblem"] = {
  type: "urn:tenantry:problem:username_held_by_deleted_user",
  title: "Conflict",
  status: 409,
  detail: "This username belongs to a deleted user who can be restored until 2027-01-03.",
  code: "username_held_by_deleted_user",
  deleted_user_id: "0199a000-0000-7000-8000-000000000000",
  frees_at: "2027-01-03T08:00:00.000Z",
};
// @ts-expect-error A held name's problem is a 409.
export const heldWrongStatus: components["schemas"]["HeldClaimProblem"]["status"] = 404;

// 503 carries Retry-After.
export const retryAfter: operations["getMe"]["responses"][503]["headers"]["Retry-After"] = "1";
