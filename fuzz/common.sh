# Shared by fuzz/run.sh and fuzz/ci.sh (sourced): installs the tools, publishes and instruments the harness.
# Needs: the .NET SDK; root (or an existing afl-fuzz) to install AFL++ from Debian.

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$FUZZ_DIR")"
WORK_DIR="$FUZZ_DIR/.work"
ALL_TARGETS="frame http utf8 close chunked multipart range extension inflate"

# afl-fuzz without a TTY, on a .NET target it cannot see the instrumentation of, on a shared machine.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
# A core_pattern that pipes to a handler (systemd-coredump, apport) makes afl-fuzz refuse to start; crashes are
# still recorded through SharpFuzz's exit status.
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

fail() {
    echo "fuzz: $*" >&2
    exit 1
}

ensure_afl() {
    if command -v afl-fuzz >/dev/null 2>&1; then
        return
    fi
    if [ "$(id -u)" != 0 ]; then
        fail "afl-fuzz is not installed and this is not root: run 'apt-get install -y afl++' first."
    fi
    echo "fuzz: installing afl++ (apt-get)"
    apt-get update -qq >/dev/null || fail "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null || fail "apt-get install afl++ failed"
    command -v afl-fuzz >/dev/null 2>&1 || fail "afl-fuzz still missing after installing afl++"
}

# Publishes the harness into $1 and instruments the library under test (not the harness, SharpFuzz or System.*).
publish_instrumented() {
    local out="$1"
    command -v dotnet >/dev/null 2>&1 || fail "the .NET SDK (dotnet) is not on PATH"
    (cd "$FUZZ_DIR" && dotnet tool restore >/dev/null) || fail "dotnet tool restore (SharpFuzz.CommandLine, fuzz/dotnet-tools.json) failed"
    mkdir -p "$WORK_DIR"
    rm -rf "$out"
    # One publish at a time: concurrent publishes of one project race on its obj/ folder.
    (
        flock 9
        dotnet publish "$FUZZ_DIR/Rx.WebSockets.Fuzz/Rx.WebSockets.Fuzz.csproj" -c Release -o "$out" -v quiet -nologo >"$out.publish.log" 2>&1
    ) 9>"$WORK_DIR/publish.lock" || { cat "$out.publish.log" >&2; fail "dotnet publish of fuzz/Rx.WebSockets.Fuzz failed"; }
    (cd "$FUZZ_DIR" && dotnet sharpfuzz "$out/Rx.WebSockets.dll" >/dev/null) || fail "sharpfuzz could not instrument $out/Rx.WebSockets.dll"
}

# Reads one key of an afl fuzzer_stats file.
stat_of() {
    sed -n "s/^$2 *: *//p" "$1/default/fuzzer_stats" 2>/dev/null | head -n1
}
