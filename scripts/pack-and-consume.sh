#!/usr/bin/env bash
# Packs Rx.WebSockets and runs examples/PackageConsumer against the package from a local folder feed.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Rx.WebSockets/Rx.WebSockets.csproj | head -n1)
dotnet pack Rx.WebSockets/Rx.WebSockets.csproj -c Release -o "$work/feed" --nologo -v q
ls "$work/feed"/Rx.WebSockets."$version".nupkg

cp -r examples/PackageConsumer "$work/consumer"
rm -rf "$work/consumer/bin" "$work/consumer/obj"
# A local folder feed beside the machine's own sources (no <clear/>), and a fresh package cache so that the
# package is really read from the folder.
cat > "$work/consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="rx-websockets-local" value="$work/feed" />
  </packageSources>
  <config>
    <add key="globalPackagesFolder" value="$work/packages" />
  </config>
</configuration>
XML
dotnet run --project "$work/consumer" -p:RxWebSocketsVersion="$version" --nologo
