#!/usr/bin/env bash
# Fails when the committed generated files differ from what `npm run codegen` writes now.
set -euo pipefail
npm run --silent codegen >/dev/null
GENERATED=('*/__generated__/*' 'web/persisted-query-manifest.json')
untracked=$(git ls-files --others --exclude-standard -- "${GENERATED[@]}")
if ! git diff --quiet -- "${GENERATED[@]}" || [ -n "$untracked" ]; then
  git --no-pager diff --stat -- "${GENERATED[@]}"
  [ -n "$untracked" ] && echo "not committed: $untracked"
  echo "Generated files are stale: run \`npm run codegen\` and commit the result." >&2
  exit 1
fi
echo "Generated files are current."
