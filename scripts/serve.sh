#!/usr/bin/env bash
# The development server and a task-queue worker beside it, with one owner: this script.
# `make run` execs it, so INT (Ctrl-C) or TERM sent to make (which passes TERM on to its
# recipe) reaches it; it then stops both, each with its whole process group (runserver's
# reloader child, qcluster's workers), and waits for them before it exits.
#   usage: scripts/serve.sh PYTHON PORT
set -uo pipefail

python=${1:?usage: scripts/serve.sh PYTHON PORT}
port=${2:?usage: scripts/serve.sh PYTHON PORT}

# Job control: each background job gets a process group of its own (its pid is its group id),
# which also keeps the terminal's Ctrl-C from reaching them before the trap below does.
set -m
"$python" manage.py qcluster &
worker=$!
"$python" manage.py runserver "127.0.0.1:$port" &
server=$!
set +m

stopping=
stop() {
  [ -n "$stopping" ] && return
  stopping=1
  # TERM to the leaders: qcluster stops its own workers (a worker signalled directly would
  # leave it waiting for one that is gone). Past 20 s, both groups are killed outright.
  kill -TERM "$worker" "$server" 2>/dev/null
  for _ in $(seq 200); do
    kill -0 -- "-$worker" 2>/dev/null || kill -0 -- "-$server" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$worker" "-$server" 2>/dev/null
  wait 2>/dev/null
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# Either one ending (a crash, a port in use) ends the run: the other is stopped with it.
wait -n "$worker" "$server"
