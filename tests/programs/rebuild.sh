#!/usr/bin/env bash
# Rebuilds the committed wasm32-wasi test programs and their expected output.
#
#   NAME.c  --clang (wasm32-wasi, wasi-libc)-->  NAME.wasm
#   NAME.c  --gcc -O2 (native)--> run -->        NAME.expected   (exact stdout)
#
# Needs Debian packages clang lld wasi-libc libclang-rt-14-dev-wasm32 gcc
# (scripts/setup.sh installs them).  Set WASI_SYSROOT to use another sysroot
# (e.g. a wasi-sdk one); Debian's wasi-libc lives in /usr/{include,lib}/wasm32-wasi,
# which is clang's default for --target=wasm32-wasi, i.e. sysroot /usr.
#
# Usage: tests/programs/rebuild.sh [NAME...]     (default: every *.c here)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CLANG=${CLANG:-clang}
CC_NATIVE=${CC_NATIVE:-gcc}
if [[ -z ${WASI_SYSROOT:-} ]]; then
    if [[ -d /usr/share/wasi-sysroot/lib/wasm32-wasi ]]; then
        WASI_SYSROOT=/usr/share/wasi-sysroot
    else
        WASI_SYSROOT=/usr
    fi
fi
[[ -f $WASI_SYSROOT/lib/wasm32-wasi/libc.a ]] \
    || { echo "rebuild.sh: no wasi-libc in $WASI_SYSROOT (apt-get install wasi-libc)" >&2; exit 1; }

# The args program is run with these arguments and this (only) environment
# variable; it exits with status 3.  Keep in sync with README.md.
ARGS_ARGV=(alpha "two words" "" "ünïcödé" --flag=1)
ARGS_ENV=("WAOT_TEST_VAR=hello waot")
ARGS_EXIT=3

if (($#)); then names=("$@"); else names=(); for f in *.c; do names+=("${f%.c}"); done; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for name in "${names[@]}"; do
    src=$name.c
    echo "== $name" >&2
    # Compile at -O2 but link in a separate step without -O: clang runs binaryen's
    # wasm-opt after linking at -O1+ when it is on PATH, which would make the
    # output depend on whether binaryen is installed and drops the "name"
    # section (function names, wanted for trap messages).  --strip-debug drops
    # the DWARF that Debian's libc.a carries.
    "$CLANG" --target=wasm32-wasi --sysroot="$WASI_SYSROOT" -O2 -Wall -Wextra \
        -c -o "$tmp/$name.o" "$src"
    "$CLANG" --target=wasm32-wasi --sysroot="$WASI_SYSROOT" -Wl,--strip-debug \
        -o "$name.wasm" "$tmp/$name.o" -lm
    chmod -x "$name.wasm"
    "$CC_NATIVE" -O2 -Wall -Wextra -o "$tmp/$name" "$src" -lm
    if [[ $name == args ]]; then
        set +e
        (cd "$tmp" && env -i "${ARGS_ENV[@]}" "./$name" "${ARGS_ARGV[@]}") >"$name.expected" 2>/dev/null
        rc=$?
        set -e
        [[ $rc == "$ARGS_EXIT" ]] || { echo "rebuild.sh: $name exited $rc, want $ARGS_EXIT" >&2; exit 1; }
    else
        (cd "$tmp" && env -i "./$name") >"$name.expected"
    fi
    if command -v wasm2wat >/dev/null; then
        printf '   imports:' >&2
        wasm2wat "$name.wasm" | sed -n 's/^ *(import "\([^"]*\)" "\([^"]*\)".*/ \2/p' | tr -d '\n' >&2
        echo >&2
    fi
done
