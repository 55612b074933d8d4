#!/usr/bin/env bash
# The federation in containers, through faults: builds the image, starts
# docker/compose.yaml (7 containers on private networks) and runs
# docker/faults.py: a consultation with an escalation, a street cut off
# and healed, a community killed mid-escalation, a rolling restart — each
# followed by checks that every node converges and nothing acknowledged is
# lost. Prints what it checked; exits non-zero on any divergence.
#
#   docker/test.sh            # YIYI_KEEP=1 leaves the containers running
set -euo pipefail
cd "$(dirname "$0")/.."
export YIYI_PROJECT="${YIYI_PROJECT:-yiyi-test}"
compose=(docker-compose -p "$YIYI_PROJECT" -f docker/compose.yaml)

# Leaves nothing of a run behind, and starts from nothing: `down -v` stops
# at a network that docker still thinks has an endpoint (left by the
# partition fault) before it removes the volumes, and a second run on the
# same machine then found the first one's ledgers ("there is already a
# topic with id T-bus"); the volumes are removed by their project label.
clean() {
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  docker volume ls -q --filter "label=com.docker.compose.project=$YIYI_PROJECT" \
    | xargs -r docker volume rm -f >/dev/null 2>&1 || true
}

clean
docker/build.sh
status=0
python3 docker/faults.py || status=$?
if [ "$status" -ne 0 ]; then
  echo "== the nodes' last log lines"
  "${compose[@]}" logs --no-color --tail 30 || true
fi
if [ "${YIYI_KEEP:-0}" != 1 ]; then
  clean
fi
exit "$status"
