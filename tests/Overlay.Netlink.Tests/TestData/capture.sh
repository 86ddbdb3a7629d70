#!/usr/bin/env bash
# Regenerates the golden captures in Captures/: each case runs one iproute2 command inside a
# throw-away network namespace under
#   strace -x -f -e trace=sendmsg -e write=all -s 4096
# (`-e write=all` adds the raw hex dump of every sent buffer; the tests parse that dump).
# Each .strace file starts with "# setup:" and "# command:" lines naming exactly what ran.
# Replies (recvmsg) are captured the same way for a few dumps (*.reply.strace), with the
# matching `ip -j -d` output next to them. Needs root; touches only namespaces it creates.
set -uo pipefail
cd "$(dirname "$0")/Captures"
ns="ovl-cap-$$"

capture() { # name setup command [trace]
  local name=$1 setup=$2 cmd=$3 trace=${4:-sendmsg}
  ip netns add "$ns"
  ip netns exec "$ns" sh -c "ip link set lo up; $setup" >/dev/null 2>&1
  {
    echo "# setup: $setup"
    echo "# command: $cmd"
    ip netns exec "$ns" strace -x -f -e trace=$trace -e write=all -e read=all -s 4096 sh -c "exec $cmd" 2>&1 >/dev/null
  } >"$name.strace"
  if [ -n "${5:-}" ]; then ip netns exec "$ns" sh -c "$5" >"$name.json" 2>/dev/null; fi
  ip netns del "$ns"
}

UL="ip link add ul0 type veth peer name ul1; ip link set ul0 up; ip link set ul1 up; ip addr add 198.18.0.1/24 dev ul0"
VX="$UL; ip link add vx0 type vxlan id 42 local 198.18.0.1 dev ul0 dstport 4789 nolearning; ip link set vx0 up"

capture link-add-vxlan "$UL" "ip link add vx0 mtu 1450 address 02:42:c6:13:01:00 type vxlan id 42 local 198.18.0.1 dev ul0 dstport 8472 ttl 64 tos 0 nolearning proxy rsc l2miss l3miss gbp udpcsum udp6zerocsumtx udp6zerocsumrx"
capture link-add-vxlan6 "$UL; ip addr add 2001:db8:18::1/64 dev ul0 nodad" "ip link add vx6 type vxlan id 4096 local 2001:db8:18::1 dev ul0 dstport 4789 learning"
capture link-add-ipip "$UL" "ip link add ipip0 type ipip local 198.18.0.1 remote 198.18.0.2 ttl 64 dev ul0"
capture link-add-veth "" "ip link add va type veth peer name vb"
capture link-add-bridge "" "ip link add br0 mtu 1400 type bridge"
capture link-set "$UL" "ip link set dev ul0 down mtu 1400 address 02:00:00:00:00:01 name ul9"
capture link-del "$UL" "ip link del dev ul0"
capture addr-add-v4 "$UL" "ip addr add 198.18.1.1/24 dev ul0 scope link"
capture addr-add-v6 "$UL" "ip -6 addr add 2001:db8:18::5/64 dev ul0 nodad"
capture addr-replace-v4 "$UL" "ip addr replace 198.18.0.1/24 dev ul0"
capture addr-del-v4 "$UL" "ip addr del 198.18.0.1/24 dev ul0"
capture route-add-onlink "$VX" "ip route add 198.19.3.0/24 via 198.19.3.0 dev vx0 onlink proto 77 metric 10 mtu 1400"
capture route-replace-gw "$UL" "ip route replace 198.19.4.0/24 via 198.18.0.2 proto 77 table 100"
capture route-append "$UL" "ip route append 198.19.5.0/24 via 198.18.0.2 dev ul0 proto 77"
capture route-add-blackhole "" "ip route add blackhole 198.19.0.0/16 proto 77"
capture route-add-v6 "$UL; ip addr add 2001:db8:18::1/64 dev ul0 nodad" "ip -6 route add 2001:db8:19::/48 via 2001:db8:18::2 dev ul0 proto 77"
capture route-del "$UL; ip route add 198.19.4.0/24 via 198.18.0.2" "ip route del 198.19.4.0/24 via 198.18.0.2 dev ul0"
capture route-get "$UL" "ip route get 198.18.0.7"
capture neigh-replace "$VX" "ip neigh replace 198.19.3.0 lladdr 02:42:c6:13:03:00 dev vx0 nud permanent proto 77"
capture neigh-add-v6 "$VX" "ip -6 neigh add 2001:db8:19:3:: lladdr 02:42:c6:13:03:00 dev vx0 nud permanent"
capture neigh-del "$VX; ip neigh add 198.19.3.0 lladdr 02:42:c6:13:03:00 dev vx0 nud permanent" "ip neigh del 198.19.3.0 dev vx0"
capture fdb-append "$VX" "bridge fdb append 02:42:c6:13:03:00 dev vx0 dst 198.18.0.3 self permanent"
capture fdb-replace "$VX" "bridge fdb replace 02:42:c6:13:03:00 dev vx0 dst 198.18.0.3 self permanent"
capture fdb-del "$VX; bridge fdb append 02:42:c6:13:03:00 dev vx0 dst 198.18.0.3 self permanent" "bridge fdb del 02:42:c6:13:03:00 dev vx0 dst 198.18.0.3 self"
capture xfrm-policy-add "" "ip xfrm policy add src 198.19.1.0/24 dst 198.19.2.0/24 dir out priority 100 mark 0x5 mask 0xff tmpl src 198.18.0.1 dst 198.18.0.2 proto esp mode tunnel reqid 11"
capture xfrm-policy-del "ip xfrm policy add src 198.19.1.0/24 dst 198.19.2.0/24 dir in tmpl src 198.18.0.2 dst 198.18.0.1 proto esp mode tunnel reqid 11" "ip xfrm policy del src 198.19.1.0/24 dst 198.19.2.0/24 dir in"
capture xfrm-state-add "" "ip xfrm state add src 198.18.0.1 dst 198.18.0.2 proto esp spi 0x100 reqid 11 mode tunnel aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128"
capture xfrm-state-del "" "ip xfrm state del src 198.18.0.1 dst 198.18.0.2 proto esp spi 0x100"
capture xfrm-policy-update "ip xfrm policy add src 198.19.1.0/24 dst 198.19.2.0/24 dir out tmpl src 198.18.0.1 dst 198.18.0.2 proto esp mode tunnel reqid 11" "ip xfrm policy update src 198.19.1.0/24 dst 198.19.2.0/24 dir out tmpl src 198.18.0.1 dst 198.18.0.9 proto esp mode tunnel reqid 11"
capture xfrm-policy-get "ip xfrm policy add src 198.19.1.0/24 dst 198.19.2.0/24 dir fwd tmpl src 198.18.0.2 dst 198.18.0.1 proto esp mode tunnel reqid 11" "ip xfrm policy get src 198.19.1.0/24 dst 198.19.2.0/24 dir fwd"
capture xfrm-policy-flush "" "ip xfrm policy flush"
capture xfrm-state-flush "" "ip xfrm state flush"
capture xfrm-state-get "" "ip xfrm state get src 198.18.0.1 dst 198.18.0.2 proto esp spi 0x100"
capture link-get "$UL" "ip link show dev ul0"
capture route-add-default "$UL" "ip route add default via 198.18.0.254 proto 77"
capture route-add-table1000 "$UL" "ip route add 198.19.6.0/24 dev ul0 table 1000 proto 77"
capture link-set-master "$UL; ip link add br0 type bridge" "ip link set dev ul0 master br0"
capture xfrm-state-add-cbc-encap "" "ip xfrm state add src 198.18.0.1 dst 198.18.0.2 proto esp spi 0x200 reqid 11 mode tunnel enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f auth-trunc 'hmac(sha256)' 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 128 encap espinudp 4500 4500 0.0.0.0 mark 0x7 mask 0xff"
# Kernel replies from dumps (recvmsg), with ip -j -d output of the same object as the oracle.
capture link-dump-vxlan.reply "$VX" "ip -d link show dev vx0" recvmsg "ip -j -d link show dev vx0"
capture route-dump.reply "$VX; ip route add 198.19.3.0/24 via 198.19.3.0 dev vx0 onlink proto 77 metric 10 mtu 1400" "ip route show dev vx0 proto 77" recvmsg "ip -j -d route show dev vx0 proto 77"
echo "captures written to $(pwd)"

# nf_tables: nft -f transactions (one batch per file; the files sit next to the captures).
capture nft-flannel-ipv4 "" "nft -f nft-flannel-ipv4.nft"
capture nft-flannel-ipv6 "" "nft -f nft-flannel-ipv6.nft"
capture nft-prefixes "" "nft -f nft-prefixes.nft"
capture nft-delete-table "nft add table ip flannel-ipv4" "nft delete table ip flannel-ipv4"
capture nft-delete-rule "nft add table ip t; nft add chain ip t c; nft add rule ip t c accept" "nft delete rule ip t c handle 2"
