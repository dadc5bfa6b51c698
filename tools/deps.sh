#!/usr/bin/env bash
# deps.sh - install everything Signpost needs to build, test and run its demo,
# from Debian's archive.  Run as root (or through sudo).  Idempotent.
set -euo pipefail

packages=(
	# build
	build-essential cmake pkg-config clang libclang-rt-14-dev
	# libraries (see README: dependencies)
	libldns-dev libuv1-dev libsodium-dev libssl-dev libminiupnpc-dev libsqlite3-dev
	libmnl-dev libcmocka-dev
	# real peers the tests and benchmarks talk to
	ldnsutils bind9-dnsutils bind9-utils unbound nsd knot knot-dnsutils dnsperf
	wireguard-go wireguard-tools iperf3 miniupnpd stun-client coturn natpmpc nftables
	# network-namespace labs
	iproute2 iptables conntrack iputils-ping procps util-linux python3 jq openssl
)

if [ "$(id -u)" -ne 0 ]; then
	exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
