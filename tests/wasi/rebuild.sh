#!/usr/bin/env bash
# Rebuilds the WASI preview1 test corpus and the expected outputs.
#
#   c/NAME.c    --clang (wasm32-wasi, wasi-libc)-->   c/NAME.wasm
#   rust/NAME.rs --rustc (wasm32-wasip1)-->           rust/NAME.wasm
#   (rust/threads: wasm32-wasip1-threads, std::thread on wasi-threads)
#   same source built natively (gcc -O2 / rustc -O), run as manifest.txt says
#   inside a fresh temp dir -->                       NAME.expected (exact stdout)
#
# Programs listed in WASM_ONLY (sandbox refusals: natively the escapes would
# succeed; direct preview1 calls) keep their hand-written .expected; the
# native build is not run. Programs whose stdin is `socket:MODE` run natively
# under native/sockpeer.c, the peer tests/wasi.rs plays in Rust.
#
# Needs clang lld wasi-libc libclang-rt-14-dev-wasm32 gcc (scripts/setup.sh),
# rustc with the wasm32-wasip1 and wasm32-wasip1-threads targets
# (rustup target add wasm32-wasip1 wasm32-wasip1-threads).
# Optional: wasm-objdump (wabt) prints each module's imports; node (>= 20)
# then runs every .wasm under node:wasi against the expectations (run-node.mjs).
#
# Usage: tests/wasi/rebuild.sh [c/NAME | rust/NAME ...]   (default: all)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CLANG=${CLANG:-clang}
CC_NATIVE=${CC_NATIVE:-gcc}
RUSTC=${RUSTC:-rustc}
if [[ -z ${WASI_SYSROOT:-} ]]; then
    if [[ -d /usr/share/wasi-sysroot/lib/wasm32-wasi ]]; then
        WASI_SYSROOT=/usr/share/wasi-sysroot
    else
        WASI_SYSROOT=/usr
    fi
fi
[[ -f $WASI_SYSROOT/lib/wasm32-wasi/libc.a ]] \
    || { echo "rebuild.sh: no wasi-libc in $WASI_SYSROOT (apt-get install wasi-libc)" >&2; exit 1; }

WASM_ONLY=(c/sandbox c/preview1)
# Rust programs built for wasm32-wasip1-threads (wasi-threads) instead.
THREADED=(rust/threads)

if (($#)); then
    names=("$@")
else
    names=()
    for f in c/*.c; do names+=("${f%.c}"); done
    for f in rust/*.rs; do names+=("${f%.rs}"); done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# manifest_line NAME: prints the manifest.txt line for NAME (fields trimmed, '|'-separated).
manifest_line() {
    awk -F'|' -v n="$1" '
        /^[[:space:]]*(#|$)/ { next }
        { for (i = 1; i <= NF; i++) { gsub(/^[[:space:]]+|[[:space:]]+$/, "", $i) } }
        $1 == n { print $1 "|" $2 "|" $3 "|" $4 "|" $5 "|" $6; found = 1 }
        END { if (!found) exit 1 }' manifest.txt
}

# run_native NAME EXE: runs EXE as the manifest says, in a fresh directory
# $tmp/run/root (outside files in $tmp/run), stdout to NAME.expected.
run_native() {
    local name=$1 exe=$2 line
    line=$(manifest_line "$name") || { echo "rebuild.sh: $name missing from manifest.txt" >&2; exit 1; }
    local args envs stdin status setup
    IFS='|' read -r _ args envs stdin status setup <<<"$line"
    local -a argv=() envv=()
    [[ $args != - ]] && read -r -a argv <<<"$args"
    if [[ $envs != - ]]; then IFS=';' read -r -a envv <<<"$envs"; fi
    local -a peer=()
    if [[ $stdin == socket:* ]]; then
        [[ -x $tmp/sockpeer ]] || "$CC_NATIVE" -O2 -Wall -Wextra -o "$tmp/sockpeer" native/sockpeer.c
        peer=("$tmp/sockpeer" "${stdin#socket:}")
        stdin=/dev/null
    elif [[ $stdin == - ]]; then
        stdin=/dev/null
    else
        stdin=$PWD/$stdin
    fi
    rm -rf "$tmp/run"
    mkdir -p "$tmp/run/root"
    if [[ $setup != - ]]; then
        local -a items
        IFS=';' read -r -a items <<<"$setup"
        for item in "${items[@]}"; do
            case $item in
                file:*)    item=${item#file:};    printf '%s' "${item#*=}" >"$tmp/run/root/${item%%=*}" ;;
                dir:*)     mkdir -p "$tmp/run/root/${item#dir:}" ;;
                symlink:*) item=${item#symlink:}; ln -s "${item#*=}" "$tmp/run/root/${item%%=*}" ;;
                outside:*) item=${item#outside:}; printf '%s' "${item#*=}" >"$tmp/run/${item%%=*}" ;;
                *) echo "rebuild.sh: bad setup item '$item'" >&2; exit 1 ;;
            esac
        done
    fi
    set +e
    (cd "$tmp/run/root" && env -i "${envv[@]}" "${peer[@]}" "$exe" "${argv[@]}") <"$stdin" >"$name.expected" 2>"$tmp/stderr"
    local rc=$?
    set -e
    [[ $rc == "$status" ]] || { echo "rebuild.sh: native $name exited $rc, want $status" >&2; exit 1; }
}

for name in "${names[@]}"; do
    echo "== $name" >&2
    base=$(basename "$name")
    case $name in
        c/*)
            # Compile at -O2 but link without -O (clang would run binaryen's
            # wasm-opt when on PATH); --strip-debug drops libc.a's DWARF.
            "$CLANG" --target=wasm32-wasi --sysroot="$WASI_SYSROOT" -O2 -Wall -Wextra \
                -c -o "$tmp/$base.o" "$name.c"
            "$CLANG" --target=wasm32-wasi --sysroot="$WASI_SYSROOT" -Wl,--strip-debug \
                -o "$name.wasm" "$tmp/$base.o" -lm
            native_build=("$CC_NATIVE" -O2 -Wall -Wextra -o "$tmp/$base" "$name.c" -lm)
            ;;
        rust/*)
            target=wasm32-wasip1
            [[ " ${THREADED[*]} " == *" $name "* ]] && target=wasm32-wasip1-threads
            "$RUSTC" --edition 2021 -O --target "$target" -C strip=debuginfo \
                -o "$name.wasm" "$name.rs"
            native_build=("$RUSTC" --edition 2021 -O -o "$tmp/$base" "$name.rs")
            ;;
        *) echo "rebuild.sh: unknown program $name" >&2; exit 1 ;;
    esac
    chmod -x "$name.wasm"
    if [[ " ${WASM_ONLY[*]} " == *" $name "* ]]; then
        echo "   wasm-only: keeping hand-written $name.expected" >&2
        manifest_line "$name" >/dev/null || { echo "rebuild.sh: $name missing from manifest.txt" >&2; exit 1; }
    else
        "${native_build[@]}"
        run_native "$name" "$tmp/$base"
    fi
    if command -v wasm-objdump >/dev/null; then
        printf '   imports:' >&2
        wasm-objdump -x -j Import "$name.wasm" | sed -n 's/.*<- wasi_snapshot_preview1\.\([a-z_0-9]*\).*/ \1/p' \
            | sort | tr -d '\n' >&2
        echo >&2
    fi
done

if command -v node >/dev/null; then
    echo "== node:wasi check" >&2
    node --no-warnings run-node.mjs "${names[@]}" >&2 || echo "rebuild.sh: node:wasi differs (see README.md)" >&2
fi
