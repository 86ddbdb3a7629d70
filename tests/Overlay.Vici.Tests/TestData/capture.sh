#!/usr/bin/env bash
# Regenerates the golden VICI captures in Captures/: swanctl (strongSwan 5.9.8, Debian) talking to a live charon
# that runs inside a throw-away network namespace with a private /run (so nothing touches the host's network or
# its /run). Each case runs one swanctl command under
#   strace -xx -f -e trace=connect,sendto,recvfrom -s 65536
# and keeps only the lines of the VICI socket's file descriptor: sendto = client -> charon, recvfrom = charon ->
# client. Each file starts with "# command:" naming exactly what ran. Needs root.
set -euo pipefail
cd "$(dirname "$0")/Captures"
work=$(mktemp -d /tmp/ovl-vici-cap-XXXXXX)
ns="ovl-vicicap-$$"
charon=
trap '[ -n "$charon" ] && kill "$charon" 2>/dev/null; sleep 0.2; ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/strongswan.conf" <<CONF
charon {
  load = random nonce aes sha1 sha2 md5 hmac gmp kdf pem pkcs1 x509 pubkey socket-default kernel-netlink vici
  install_routes = no
  plugins { vici { socket = unix://$work/charon.vici } }
}
CONF
cat >"$work/swanctl.conf" <<'CONF'
connections {
  ovl-test {
    version = 2
    local_addrs = 198.18.0.1
    remote_addrs = 198.18.0.2
    proposals = aes128-sha256-modp2048
    local {
      auth = psk
      id = 198.18.0.1
    }
    remote {
      auth = psk
      id = 198.18.0.2
    }
    children {
      ovl-child {
        local_ts = 198.19.1.0/24
        remote_ts = 198.19.2.0/24
        esp_proposals = aes128-sha256
        mode = tunnel
        policies = no
      }
    }
  }
}
secrets {
  ike-test {
    id-1 = 198.18.0.1
    id-2 = 198.18.0.2
    secret = "a-test-secret-that-is-not-used-anywhere"
  }
}
CONF
ip netns add "$ns"
ip netns exec "$ns" unshare -m sh -c "mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$work/strongswan.conf exec /usr/lib/ipsec/charon" >/dev/null 2>&1 &
charon=$!  # ip netns exec, unshare and sh all exec: this is charon's pid
for _ in $(seq 50); do [ -S "$work/charon.vici" ] && break; sleep 0.1; done

capture() { # name command...
  local name=$1; shift
  strace -o "$work/trace" -xx -f -e trace=connect,sendto,recvfrom -s 65536 "$@" --uri "unix://$work/charon.vici" >/dev/null 2>&1 || true
  local fd
  fd=$(grep -oE 'connect\(([0-9]+), \{sa_family=AF_UNIX, sun_path=' "$work/trace" | head -1 | sed -E 's/connect\(([0-9]+),.*/\1/')
  { echo "# command: swanctl ${*:2}"; grep -E "(sendto|recvfrom)\($fd, " "$work/trace" | sed -E 's/^[0-9]+ +//' | grep -v 'unfinished'; } >"$name.strace"
}
capture load-all swanctl --load-all --file "$work/swanctl.conf"
capture list-conns swanctl --list-conns
capture list-sas swanctl --list-sas
capture version swanctl --version --daemon
capture terminate swanctl --terminate --ike ovl-test --timeout 2
