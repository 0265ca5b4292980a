#!/bin/bash
# runner: once
# make install and make uninstall into a DESTDIR; the installed recsync
# finds the tools installed beside it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
D=$T/root
run make -C "$TOP" install PREFIX=/usr/local DESTDIR="$D"
if [ "$status" = 0 ]; then
	ok "make install into DESTDIR"
else
	fail "make install" "$(cat "$T/err")"
fi
for tool in kvdiff kvpush kvlock yamlemit redisput qlogscan recsync; do
	if [ -x "$D/usr/local/bin/$tool" ] && [ -f "$D/usr/local/share/man/man1/$tool.1" ]; then
		ok "installed: $tool and $tool.1"
	else
		fail "installed: $tool and $tool.1"
	fi
done
start_consul
start_redis
new_prefix
printf '%s\n' '{"record":"hke:heavy_expr:i1","expr":"up"}' >"$T/in"
run -i "$T/in" env PATH=/usr/bin:/bin "$D/usr/local/bin/recsync" --dry-run --prefix "$PREFIX" \
	--rules-dir "$T"
if [ "$status" = 0 ] && grep -q '"new":1' "$T/out"; then
	ok "the installed recsync runs its installed tools"
else
	fail "installed recsync" "status $status" "$(cat "$T/err")"
fi
run env PATH=/usr/bin:/bin "$D/usr/local/bin/recsync" render --dry-run --prefix "$PREFIX" \
	--shard 0/1 -o "$T/share.yml"
if [ "$status" = 0 ] && grep -q '"rules":0,' "$T/out"; then
	ok "the installed recsync renders, with the installed recsync-render"
else
	fail "installed recsync render" "status $status" "$(cat "$T/out" "$T/err")"
fi
run make -C "$TOP" uninstall PREFIX=/usr/local DESTDIR="$D"
if [ "$status" = 0 ] && [ -z "$(find "$D" -type f)" ]; then
	ok "make uninstall removes every file"
else
	fail "make uninstall" "$(find "$D" -type f)"
fi
done_testing
