#!/usr/bin/env bash
# Installs the Debian packages the NAT lab (src/lab, test/lab) needs, when they are missing.
#
#   iproute2            ip netns, veth pairs, addresses, routes; tc tbf for bandwidth limits
#   iptables, nftables  MASQUERADE / DNAT rules inside the lab's router namespaces
#   miniupnpd-nftables  Debian's UPnP IGD daemon (2.3.1), used for the refusal path: it answers
#                       discovery but refuses every mapping when its WAN address is private (501)
#   uuid-runtime        the miniupnpd package's dependency (uuidgen)
#
# Idempotent and quiet when everything is there. Not root: says so and exits 0 (the lab tests
# then skip with a message naming what is missing). Never starts any daemon: the lab runs
# miniupnpd itself, inside a namespace it creates.
set -euo pipefail

want=(iproute2 iptables nftables miniupnpd-nftables uuid-runtime)
missing=()
for pkg in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "lab-install: not root, cannot install: ${missing[*]} (the lab tests will skip)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "lab-install: no apt-get on this machine, cannot install: ${missing[*]}"
  exit 0
fi

echo "lab-install: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The Debian miniupnpd package would otherwise offer to start a daemon on the host's interface.
if command -v debconf-set-selections >/dev/null 2>&1; then
  echo 'miniupnpd miniupnpd/start_daemon boolean false' | debconf-set-selections
fi
# A failed install (no mirror reachable, say) must not fail the whole test run: the lab tests then
# skip, each naming the missing tool. Say so loudly instead.
if ! apt-get update -qq >/dev/null; then
  echo "lab-install: apt-get update FAILED; not installed: ${missing[*]} (the lab tests will skip)" >&2
  exit 0
fi
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  echo "lab-install: apt-get install FAILED for: ${missing[*]} (the lab tests will skip)" >&2
  exit 0
fi
echo "lab-install: done"
