#!/usr/bin/env bash
# make lint: the layering rules and the kernel's formatting.
#   - kapi/ names neither sock/, security/ nor proto/: every arrow points down;
#   - the generated bindings are used only under kapi/;
#   - `unsafe` code appears only under kapi/;
#   - every Rust file is formatted as `make rustfmtcheck` formats the
#     kernel's (rustfmt with the kernel's .rustfmt.toml).
# Prints a line per check and a closing "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/env.sh"
cd "$top"

pass=0 fail=0
check() { # name, offending lines (none: pass)
	local found=$2
	if [ -z "$found" ]; then
		pass=$((pass + 1)); echo "PASS $1"
	else
		fail=$((fail + 1)); echo "FAIL $1"; echo "$found" | sed 's/^/    /'
	fi
}

# Code lines only: comments may name anything.
code() { grep -nE "$1" "${@:2}" /dev/null | grep -vE '^[^:]+:[0-9]+:\s*//'; }

mapfile -t kapi < <(git ls-files 'kapi/*.rs')
mapfile -t above < <(git ls-files '*.rs' | grep -v '^kapi/')

check "kapi/ depends on nothing above it" "$(code 'crate::(sock|security|proto)\b|super::super' "${kapi[@]}")"
check "bindings:: only under kapi/" "$(code '\bbindings::' "${above[@]}")"
check "unsafe only under kapi/" "$(code '\bunsafe\b' "${above[@]}")"
check "C reaches Rust only through registered function pointers" \
	"$(code '#\[no_mangle\]' $(git ls-files '*.rs'))"

if [ -f "$ksrc/.rustfmt.toml" ]; then
	check "rustfmt with the kernel's .rustfmt.toml" "$(git ls-files '*.rs' |
		xargs rustfmt --check --edition 2021 --config-path "$ksrc/.rustfmt.toml" 2>&1 | grep '^Diff in')"
else
	echo "lint: no kernel source at $ksrc (make kernel unpacks it)"; fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
