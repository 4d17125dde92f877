#!/bin/sh
GOGC=200 exec /tmp/pgo/hub-off "$@"
