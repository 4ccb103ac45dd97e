#!/usr/bin/env bash
# Fails when the committed generated files differ from what `npm run codegen` writes now.
set -euo pipefail
npm run --silent codegen >/dev/null
if ! git diff --quiet -- '*/__generated__/*'; then
  git --no-pager diff --stat -- '*/__generated__/*'
  echo "Generated files are stale: run \`npm run codegen\` and commit the result." >&2
  exit 1
fi
echo "Generated files are current."
