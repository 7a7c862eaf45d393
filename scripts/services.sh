#!/usr/bin/env bash
# Starts the local services the cluster-mode suites need, if they are not running.
# Under CI=true a service that cannot be started fails the run.
set -uo pipefail
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
need() { # name port start-command...
  local name=$1 port=$2; shift 2
  up "$port" && return 0
  echo "starting $name"
  "$@" >/dev/null 2>&1 || true
  for _ in $(seq 1 50); do up "$port" && return 0; sleep 0.2; done
  echo "$name is not reachable on 127.0.0.1:$port" >&2
  [ "${CI:-}" = "true" ] && exit 1
  return 0
}
if command -v pg_ctlcluster >/dev/null; then
  need postgresql 5432 pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
fi
if command -v redis-server >/dev/null; then
  need redis 6379 redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
if [ -x /usr/sbin/nats-server ]; then
  need nats 4222 start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server
fi
exit 0
