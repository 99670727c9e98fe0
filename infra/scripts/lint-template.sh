#!/usr/bin/env bash
# The template lint of `make test`: cfn-lint with the cfn-lint-serverless rules, then checkov,
# over template.yaml and infra/edge/web-acl.yaml. Any finding fails. A finding that does not
# apply is suppressed on its resource, with the reason (see the header of template.yaml).
# Offline: checkov downloads nothing and does not look for a newer version of itself.
set -euo pipefail
cd "$(dirname "$0")/../.."

templates=(template.yaml infra/edge/web-acl.yaml)

status=0
echo "cfn-lint (with cfn-lint-serverless): ${templates[*]}"
.venv/bin/cfn-lint --append-rules cfn_lint_serverless.rules -- "${templates[@]}" || status=1

for template in "${templates[@]}"; do
  echo "checkov: $template"
  CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE .venv-checkov/bin/checkov \
    --file "$template" --framework cloudformation --skip-download --compact --quiet || status=1
done
exit $status
