#!/usr/bin/env bash
# waot benchmark suite runner.  See bench/README.md.
#
#   bench/run.sh --smoke [--native-only]   each workload once at smoke size; checks "ok"
#   bench/run.sh [--runs N] [--only a,b]   full run: table, bench/RESULTS.md, bench/results.svg
#   bench/run.sh --help                    all options
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/runner.py" "$@"
