#!/bin/sh
# The freestanding core may leave undefined only the four functions a
# freestanding C compiler is allowed to call (memcpy, memmove, memset, memcmp).
obj=$1
bad=$(nm -u "$obj" | awk '{print $2}' | grep -v -x -e memcpy -e memmove -e memset -e memcmp)
if [ -n "$bad" ]; then
  echo "freestanding core references: $bad" >&2
  exit 1
fi
echo "freestanding core: no libc references"
