#!/bin/sh
# Like the official redis image's entrypoint: bare options run redis-server, and protected mode
# is off (the official image patches it off at build time), because other containers on the
# stack's network must reach Redis without a password, as in the tutorial's Part 5.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = "redis-server" ]; then
  shift
  set -- redis-server "$@" --protected-mode no
fi
exec "$@"
