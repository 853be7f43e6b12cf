#!/usr/bin/env bash
# The API contract run: schemathesis, with every check, against a running demo server, as the
# provincial office, a city regulator and an enterprise (bearer tokens from the demo accounts).
# Usage: e2e/api-contract/run.sh BASE_URL   (schemathesis's `st` on PATH)
# Exits non-zero on any server error or conformance failure.
set -euo pipefail

BASE_URL=${1:?usage: run.sh BASE_URL}
HERE=$(cd "$(dirname "$0")" && pwd)
CONFIG="$HERE/schemathesis.toml"
ROLES=(office changchun enterprise)
# The live alarm stream never ends, so a request to it only times out; crates/web/tests/integration/http.rs covers it.
# A user's own tokens are revoked last (below): earlier, revoking the run's own token would leave
# the rest of the run unauthenticated.
EXCLUDED='/alarms/stream$|/me/tokens/\{id\}$'
# This check follows links from a created record to the operations that use it. A move the caller
# may not make on a record it can read answers 404, like a record outside its scope (so the answer
# never tells which records exist); the check reads that as the created record having vanished.
EXCLUDED_CHECKS=ensure_resource_availability
# A fixed seed makes CI's run repeatable; set SCHEMATHESIS_SEED to explore others. One worker:
# with two, CPython 3.11 (Debian 12's) can fail inside hypothesis with "AST constructor recursion
# depth mismatch" when two threads parse at once, an interpreter error and not the server's.
SEED=${SCHEMATHESIS_SEED:-20261205}

token_for() {
  local user=$1 answer status
  # The login throttle allows a burst per client, then one attempt every few seconds; the
  # browser test before this run may have used the burst up.
  for _ in $(seq 30); do
    answer=$(curl -s -w '\n%{http_code}' -X POST -H 'content-type: application/json' \
      -d "{\"username\":\"$user\",\"password\":\"anwei-demo\",\"token_name\":\"api-contract\"}" \
      "$BASE_URL/api/v1/auth/login")
    status=${answer##*$'\n'}
    if [ "$status" = 200 ]; then
      printf '%s' "${answer%$'\n'*}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
      return 0
    fi
    sleep 3
  done
  echo "cannot log in as $user (last answer $status)" >&2
  return 1
}

declare -A TOKENS
for role in "${ROLES[@]}"; do
  TOKENS[$role]=$(token_for "$role")
done

failed=0
for role in "${ROLES[@]}"; do
  echo "== schemathesis as $role"
  st --config-file "$CONFIG" run "$BASE_URL/api/v1/openapi.json" \
    -H "Authorization: Bearer ${TOKENS[$role]}" \
    --checks all --exclude-checks "$EXCLUDED_CHECKS" \
    --exclude-path-regex "$EXCLUDED" \
    --seed "$SEED" --request-timeout 20 --workers 1 --no-color || failed=1
done
for role in "${ROLES[@]}"; do
  echo "== schemathesis as $role: revoking its own tokens"
  st --config-file "$CONFIG" run "$BASE_URL/api/v1/openapi.json" \
    -H "Authorization: Bearer ${TOKENS[$role]}" \
    --checks all --exclude-checks "$EXCLUDED_CHECKS" \
    --include-path-regex '/me/tokens/\{id\}$' --include-method DELETE \
    --seed "$SEED" --request-timeout 20 --workers 1 --no-color || failed=1
done
exit "$failed"
