#!/usr/bin/env bash
# Makes sure the Redis and PostgreSQL that the tests use answer on 127.0.0.1, starting them with the
# machine's own commands when they do not. Exits non-zero, saying which, if one cannot be reached.
set -uo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # port name
  for _ in $(seq 1 30); do answers "$1" && return 0; sleep 0.5; done
  echo "services: $2 does not answer on 127.0.0.1:$1" >&2
  return 1
}

status=0
if ! answers 6379; then
  echo "services: starting Redis" >&2
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1 || true
  wait_for 6379 Redis || status=1
fi
if ! answers 5432; then
  echo "services: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >/dev/null 2>&1 || true
  wait_for 5432 PostgreSQL || status=1
fi
exit $status
