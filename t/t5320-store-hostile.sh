#!/bin/bash
# Hostile stores through `s2e vm pull` (SPEC §8.2, issue 9 acceptance 5): a
# manifest with bad names or paths, indexes that lie (bad magic, unsorted or
# overlapping offsets, chunks over 1 MiB, a size the manifest disagrees with,
# trailing garbage), a chunk whose content is not its ID, a zstd bomb, a
# missing chunk, a truncated chunk, a transfer cut short over HTTP, a digest
# the indexes do not give, and a VM larger than the free space.  Each is
# refused (exit 1) with a message naming the object and the reason; no VM
# and no commit appear, and nothing is left in S2EDIR (the staging is gone).
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || t_skip_all "python3 is missing"
command -v zstd >/dev/null || t_skip_all "zstd is missing (package zstd)"
MiB=1048576
a=$S2EDIR
s=$T_TMP/store
h=$T_TMP/hostile
b=$T_TMP/b
pids=
mnt=
trap 'for p in $pids; do kill $p 2>/dev/null; wait $p 2>/dev/null; done
	[ -z "$mnt" ] || umount "$mnt"; t_cleanup' EXIT

s2e vm create A 20M >/dev/null || t_skip_all "s2e vm create failed"
dd if=/dev/urandom of="$a/vm/A/disk.s2e" bs=1M count=3 seek=4 conv=notrunc status=none
head -c 1500000 /dev/urandom >"$a/vm/A/disk.s2e.ready"
s2e vm status --record >/dev/null
s2e vm create Keep 4M >/dev/null
s2e vm push A "$s" >/dev/null && s2e vm push Keep "$s" >/dev/null || t_skip_all "push failed"
# b holds one VM (not from vm/A, so nothing is seeded from it).
s2e --s2edir "$b" vm pull "$s/Keep" >/dev/null || t_skip_all "pull failed"
t_exit 0 "the intact store pulls" s2e --s2edir "$T_TMP/ok" vm pull "$s/A"

digest_of() { git config -f "$s/vm/A/vm.config" "file.$1.digest"; }
disk_digest=$(digest_of disk.s2e)
ready_digest=$(digest_of disk.s2e.ready)
# A chunk of disk.s2e with data, and its file in the hostile copy.
chunk=$(python3 - "$s/vm/A/disk.s2e.caibx" <<'EOF'
import hashlib, struct, sys
d = open(sys.argv[1], "rb").read()
zero = hashlib.sha256(bytes(1 << 20)).hexdigest()
n = (len(d) - 48 - 16 - 40) // 40
ids = [d[64 + 40 * i + 8:64 + 40 * (i + 1)].hex() for i in range(n)]
print([i for i in ids if i != zero][1])
EOF
)
chunk_file=$h/chunks/${chunk:0:4}/$chunk.cacnk

state() { find "$b" -path "$b/.s2e/lock" -prune -o -print | sort; git -C "$b" rev-parse HEAD; }
before=$(state)

# hostile DESC PATTERN MUTATION: pull vm/A from a copy of the store changed
# by MUTATION (run by eval in the copy); the pull must fail (1) with a
# message matching PATTERN and leave b as it was.
hostile()
{
	local desc=$1 pattern=$2 mutation=$3 url=${4:-$h} out rc
	rm -rf "$h"
	cp -a "$s" "$h"
	(cd "$h" && eval "$mutation") || { t_fail "$desc: the mutation failed"; return; }
	out=$(s2e --s2edir "$b" vm pull "$url/A" 2>&1)
	rc=$?
	if [ "$rc" != 1 ]; then
		t_fail "$desc is refused"
		t_diag "exit $rc: $out"
	elif ! grep -Eq -- "$pattern" <<<"$out"; then
		t_fail "$desc is refused with a clear message"
		t_diag "got: $out"
		t_diag "want: $pattern"
	elif [ "$(state)" != "$before" ]; then
		t_fail "$desc leaves nothing behind"
		diff <(echo "$before") <(state) | sed 's/^/# /'
	else
		t_pass "$desc: refused, nothing left ($(head -1 <<<"$out" | cut -c1-150))"
	fi
}

manifest=vm/A/vm.config
# Both copies of an index: FILE.caibx and the one under its digest's name.
indexes() { echo "vm/A/$1.caibx" "vm/A/index/${2#sha256-1m:}.caibx"; }
on_index() # KIND FILE DIGEST: hostile-index.py KIND on both copies
{
	local f
	for f in $(indexes "$2" "$3"); do
		python3 "$T_DIR/hostile-index.py" "$1" "$f" "$f.new" && mv "$f.new" "$f" || return 1
	done
}

# The manifest.
hostile "a bad VM name in the manifest" "vm/A/vm.config.*(name|VM)" \
	"sed -i 's/^\tname = A/\tname = ..\/A/' $manifest"
hostile "a VM name other than the one asked for" "vm/A/vm.config.*names VM .Keep." \
	"sed -i 's/^\tname = A/\tname = Keep/' $manifest"
hostile "a bad snapshot name" "vm/A/vm.config.*(snapshot|file)" \
	"sed -i -e 's/\[snapshot \"ready\"\]/[snapshot \"re\/ady\"]/' -e 's/\[file \"disk.s2e.ready\"\]/[file \"disk.s2e.re\/ady\"]/' $manifest"
hostile "a file named with .." "vm/A/vm.config.*bad file name" \
	"sed -i 's/\[file \"disk.s2e.ready\"\]/[file \"..\/..\/ready\"]/' $manifest"
hostile "a file with an absolute path" "vm/A/vm.config.*bad file name" \
	"sed -i 's/\[file \"disk.s2e.ready\"\]/[file \"\/tmp\/ready\"]/' $manifest"
hostile "a snapshot named .." "vm/A/vm.config" \
	"sed -i -e 's/\[snapshot \"ready\"\]/[snapshot \"..\"]/' -e 's/\[file \"disk.s2e.ready\"\]/[file \"disk.s2e...\"]/' $manifest"
hostile "a missing manifest" "vm/A/vm.config.*not found|no VM" "rm $manifest"

# The indexes (both copies lie).
hostile "an index with a bad magic" "disk.s2e.caibx.*(header|magic|not a)" \
	"on_index magic disk.s2e $disk_digest"
hostile "an index with unsorted offsets" "disk.s2e.caibx.*(increas|order|offset)" \
	"on_index unsorted disk.s2e $disk_digest"
hostile "an index with overlapping offsets" "disk.s2e.caibx.*(increas|order|offset)" \
	"on_index overlap disk.s2e $disk_digest"
hostile "an index with a chunk over 1 MiB" "disk.s2e.caibx.*(larger|maximum|big|1 MiB)" \
	"on_index big-chunk disk.s2e $disk_digest"
hostile "an index whose header claims 2 MiB chunks" "disk.s2e.caibx" \
	"on_index header-max disk.s2e $disk_digest"
hostile "an index with trailing garbage" "disk.s2e.ready.caibx.*(trailing|larger than)" \
	"on_index trailing disk.s2e.ready $ready_digest"
hostile "a truncated index" "disk.s2e.ready.caibx.*(truncat|short|end)" \
	"on_index truncated disk.s2e.ready $ready_digest"
hostile "a size that disagrees with the manifest" "disk.s2e.caibx.*(size|larger|bytes)" \
	"sed -i 's/^\tsize = 20971520$/\tsize = 22020096/' $manifest && grep -q 22020096 $manifest"
hostile "a missing index" "disk.s2e.ready.caibx.*not found" \
	"rm $(indexes disk.s2e.ready "$ready_digest")"
hostile "a digest the indexes do not give" "disk.s2e.caibx.*gives digest" \
	"sed -i 's/$disk_digest/sha256-1m:$(printf '%064d' 7)/' $manifest"
hostile "the digest of another file of the VM" "disk.s2e.caibx" \
	"sed -i '0,/$disk_digest/s//$ready_digest/' $manifest"

# The chunks.
hostile "a chunk whose content is not its ID" "$chunk.*(match|ID)" \
	"head -c $MiB /dev/urandom | zstd -q -c >$chunk_file"
hostile "a zstd bomb (2 MiB of zeros in one frame)" "$chunk.*(1 MiB|larger|bomb|decompress)" \
	"head -c $((2 * MiB)) /dev/zero | zstd -q -c >$chunk_file"
hostile "a chunk that is not zstd" "$chunk" "head -c 1000 /dev/urandom >$chunk_file"
hostile "a missing chunk" "$chunk.*missing" "rm $chunk_file"
hostile "a truncated chunk" "$chunk" \
	"truncate -s \$((\$(stat -c %s $chunk_file) / 2)) $chunk_file"

# A transfer cut short over HTTP: a server that announces the whole chunk
# and sends half of it.
port=$(t_free_port)
python3 - "$port" "$h" "$chunk" >"$T_TMP/httpd.log" 2>&1 <<'EOF' &
import http.server, os, sys
port, root, chunk = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)
    def do_GET(self):
        path = os.path.join(root, self.path.lstrip("/"))
        if not self.path.endswith(chunk + ".cacnk") or not os.path.exists(path):
            return super().do_GET()
        data = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[:len(data) // 2])
        self.wfile.flush()
        self.close_connection = True
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
pids="$pids $!"
if t_wait_port "$port"; then
	hostile "a chunk transfer cut short over HTTP" "$chunk|transfer|partial|short" ":" \
		"http://127.0.0.1:$port"
	hostile "the same with a missing chunk over HTTP" "$chunk.*(missing|not found|404)" \
		"rm $chunk_file" "http://127.0.0.1:$port"
else
	t_skip "a chunk transfer cut short over HTTP" "the test server did not start"
fi

# More data than the free space: an index of one chunk repeated so that the
# VM names more data than the file system of S2EDIR has free.  The chunk is
# also missing: the check must come before any chunk is fetched.
free_mib=$(($(stat -f -c %a "$b") * $(stat -f -c %S "$b") / MiB))
n=$((free_mib + 4096))
hostile "a VM with more data than the free space ($n MiB, $free_mib MiB free)" \
	"vm/A.*$n(\.0)? ?MiB|more than the .* free" \
	"python3 - $n $chunk vm/A <<'EOF'
import hashlib, struct, sys, re
n, chunk, d = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3]
body = b''.join(struct.pack('<Q', (i + 1) << 20) + chunk for i in range(n))
tail = struct.pack('<QQQQQ', 0, 0, 48, 16 + 40 * n + 40, 0x4b4f050e5549ecd1)
head = struct.pack('<QQQQQQ', 48, 0x96824d9c7b129ff9, 0x9000000000000000, 1 << 20, 1 << 20, 1 << 20)
table = struct.pack('<QQ', 2**64 - 1, 0xe75b9e112f17417d)
digest = 'sha256-1m:' + hashlib.sha256(chunk * n).hexdigest()
open(d + '/disk.s2e.caibx', 'wb').write(head + table + body + tail)
m = open(d + '/vm.config').read()
m = re.sub(r'(\[file \"disk.s2e\"\]\n\tsize = )\d+\n\tdigest = \S+',
           r'\g<1>%d\n\tdigest = %s' % (n << 20, digest), m, count=1)
open(d + '/vm.config', 'w').write(m)
EOF
rm $chunk_file"

# A small file system: a VM that fits is pulled, one that does not is
# refused before anything is written.
small=$T_TMP/small
mkdir -p "$small"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=24m tmpfs "$small" 2>/dev/null; then
	mnt=$small
	s2e vm create Big 64M >/dev/null
	head -c $((30 * MiB)) /dev/urandom | dd of="$a/vm/Big/disk.s2e" bs=1M seek=8 conv=notrunc status=none
	s2e vm push Big "$s" >/dev/null
	t_exit 0 "a VM with 4.5 MiB of data is pulled into a 24 MiB file system" \
		s2e --s2edir "$small/d" vm pull "$s/A"
	out=$(s2e --s2edir "$small/d" vm pull "$s/Big" 2>&1)
	t_is "one with 30 MiB of data is refused" "$?" 1
	t_ok "saying why" grep -q "vm/Big: its files hold 30.0 MiB of data, more than the .* free in" <<<"$out"
	t_is "and leaving only the first VM" "$(ls -A "$small/d/vm")" "A"
else
	t_skip "a VM larger than a small file system" "cannot mount a tmpfs (needs root)"
fi

t_done
