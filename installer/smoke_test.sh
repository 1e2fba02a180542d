#!/usr/bin/env bash
# Build the bundle and run the frozen program headless, checking what each command gives.
# CI runs this on Linux after the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
make dist >/dev/null 2>&1 || { make dist; exit 1; }
app=dist/aliquot/aliquot
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="$work/clinic.db"
export QT_QPA_PLATFORM=offscreen HOME="$work/home"   # never the user's own data folder
fail() { echo "installer smoke test FAILED: $*" >&2; exit 1; }

"$app" --db "$db" demo --patients 5 --as-of 2026-11-01 | grep -q "5 patients" || fail "demo"
count=$("$app" --db "$db" patients --json --archived | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
[ "$count" = 5 ] || fail "patients --json listed $count patients, not 5"
"$app" --db "$db" export A-0001 -o "$work/a.json" 2>/dev/null
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['format']=='aliquot.patient/1' and d['visits']" "$work/a.json" \
  || fail "export"
visit=$("$app" --db "$db" visits A-0001 --json | python3 -c "import json,sys; print(json.load(sys.stdin)[-1]['id'])")
"$app" --db "$db" pdf visit "$visit" -o "$work/record.pdf" 2>/dev/null
head -c 5 "$work/record.pdf" | grep -q "%PDF-" || fail "pdf visit"
"$app" --db "$db" pdf history A-0001 -o "$work/history.pdf" 2>/dev/null
head -c 5 "$work/history.pdf" | grep -q "%PDF-" || fail "pdf history"
"$app" --db "$db" due --as-of 2026-11-01 --format ics | grep -q "BEGIN:VCALENDAR" || fail "due ics"
# The demo clinic has user accounts: the window opens signed in as --user, the password
# from the environment, as a clinic's kiosk script would.
ALIQUOT_QUIT_WHEN_PAINTED=1 ALIQUOT_PASSWORD=aliquot-demo "$app" --db "$db" --user admin </dev/null | grep -q painted \
  || fail "the window did not paint"
"$app" --db "$db" audit verify | grep -q "audit trail intact" || fail "audit verify"
# The bundle's own PostgreSQL driver, on the server .ci/run started for the suite
if [ -n "${ALIQUOT_TEST_POSTGRES:-}" ]; then
  psql "${ALIQUOT_TEST_POSTGRES/+psycopg/}" -q -c "DROP DATABASE IF EXISTS aliquot_installer" \
    -c "CREATE DATABASE aliquot_installer" 2>/dev/null || fail "could not make a PostgreSQL database"
  pg="${ALIQUOT_TEST_POSTGRES%/*}/aliquot_installer"
  "$app" --db "$pg" db upgrade | grep -qE "schema (\w+) \(this version's head: \1\)" || fail "db upgrade on PostgreSQL"
  "$app" --db "$pg" demo --patients 3 --as-of 2026-11-01 | grep -q "3 patients" || fail "demo on PostgreSQL"
  count=$("$app" --db "$pg" patients --json --archived | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
  [ "$count" = 3 ] || fail "patients --json on PostgreSQL listed $count patients, not 3"
fi
# Qt's trimmed ICU still collates, names time zones and maps case as the full one does
icu=$(dirname "$(readlink -f dist/aliquot/_internal/libicudata.so.*)")
python3 installer/check_icu.py "$icu" >/dev/null || fail "Qt's ICU in the bundle"
message=$("$app" --db "$work/missing/x.db" patients 2>&1 || true)
[[ "$message" == *"does not exist"* ]] || fail "a bad path gives a message, not: $message"
echo "installer smoke test passed: $(du -sh dist/aliquot | cut -f1) unpacked (target 150M), $(du -h dist/*.tar.gz | cut -f1) packed"
