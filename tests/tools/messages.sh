#!/bin/sh
# SPDX-License-Identifier: MIT
# The messages of every swiotlb command: an error names the option (and its
# value), the file or the line it is about; a value out of range or an
# option the command does not use is refused, not clamped or ignored; text
# that came from the input reaches the terminal with its control bytes
# escaped; --json output is valid JSON whatever bytes the input held.
#
#   sh messages.sh path/to/swiotlb path/to/json_valid
set -u
tool=$1
json_valid=$2
. "$(dirname "$0")/../expect.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swiotlb-msg.XXXXXX") || exit 1
rm -f "$out"
out=$tmp/out
trap 'rm -rf "$tmp"' EXIT INT TERM
esc=$(printf '\033')

# clean: the last command printed no control byte but '\n' and no byte
# above 0x7f (the inputs here are ASCII but for their hostile bytes)
clean() {
	count=$((count + 1))
	all=$(cat "$out" "$out.err" | wc -c)
	kept=$(cat "$out" "$out.err" | LC_ALL=C tr -d '\000-\011\013-\037\177-\377' | wc -c)
	if [ "$all" -ne "$kept" ]; then
		fail "(last command): $((all - kept)) raw control or non-ASCII byte(s) reached the terminal"
	fi
}

# refuse REGEX: the last command's output has no line matching REGEX
refuse() {
	count=$((count + 1))
	if grep -qE -- "$1" "$out.err" "$out"; then
		fail "(last command): a line matches '$1'"
	fi
}

# json N: the last command's standard output is N valid JSON values
json() {
	count=$((count + 1))
	if ! why=$("$json_valid" "$1" <"$out"); then
		fail "(last command): $why"
	fi
}

# ------------------------------------------------------------------ blk
expect 2 "--bs 0: out of range (512 to 1g)" -- blk --builtin --bs 0
expect 2 "--bs 1000: must be a multiple of 512 bytes" -- blk --builtin --bs 1000
expect 2 "--iodepth 5000: out of range (1 to 4096)" -- blk --builtin --iodepth 5000
expect 2 "--queues 17: out of range (1 to 16)" -- blk --builtin --queues 17
expect 2 "--rwmixread 101: out of range (0 to 100)" -- blk --builtin --rwmixread=101
expect 2 "--timeout 0: out of range (1 to 3600)" -- blk --builtin --timeout 0
expect 2 "--repeat 0: out of range (1 to 100)" -- blk --builtin --compare --repeat 0
expect 2 "--queue-size 100: must be a power of two" -- blk --builtin --queue-size 100
expect 2 "--pool 1: out of range (256k to 64g)" -- blk --builtin --pool 1
expect 2 "--image-size 100: must be at least 512" -- blk --builtin --image-size 100
expect 2 "--seed: 'many' is not a number" -- blk --builtin --seed many
expect 2 "--repeat 3 goes with --compare" -- blk --builtin --repeat 3
expect 2 "--iodepth 100 does not fit --queue-size 256" -- blk --builtin --iodepth 100
expect 2 "--size 512 is smaller than --bs 4096" -- blk --builtin --size 512
expect 2 "--offset 512 is not a multiple of --bs 4096" -- blk --builtin --offset 512
expect 2 "--image /nonexistent/disk.img: No such file or directory" -- blk --builtin --image /nonexistent/disk.img
expect 2 "--image /nonexistent/disk.img: No such file or directory" -- blk --serve "$tmp/sock" --image /nonexistent/disk.img
expect 2 "--image $tmp: Is a directory" -- blk --builtin --image "$tmp"
: >"$tmp/tiny.img"
expect 2 "--image $tmp/tiny.img: 0 bytes, smaller than one 512-byte sector" -- blk --builtin --image "$tmp/tiny.img"
expect 2 "--socket needs a value" -- blk --socket
expect 2 "unknown option '--bogus'" -- blk --builtin --bogus 1
expect 2 "unexpected argument 'stray'" -- blk --builtin stray
expect 2 "--json takes no value (given '1')" -- blk --builtin --json=1
expect 2 "--rw: 'sideways' is not read, write" -- blk --builtin --rw sideways
expect 2 "--image is the built-in back end's image" -- blk --socket "$tmp/sock" --image "$tmp/x.img"
expect 2 "--fail-after goes with --builtin or --serve" -- blk --socket "$tmp/sock" --fail-after 3
expect 2 "--qsd-opts goes with --qsd" -- blk --builtin --qsd-opts aio=native
expect 2 "--image-size: a running back end (--socket) has its own size" -- blk --socket "$tmp/sock" --image-size 1G
expect 2 "--serve runs only the back end: it takes no --builtin" -- blk --serve "$tmp/sock" --builtin
expect 2 "name one device, not several" -- blk --builtin --socket "$tmp/sock"
expect 2 "--rw: 'x\\x1b[2J' is not" -- blk --builtin --rw "x${esc}[2J"
clean
expect 2 "--image /nonexistent/\\x1b]0;t\\x07: No such file" -- blk --builtin --image "/nonexistent/${esc}]0;t$(printf '\007')"
clean

# ---------------------------------------------------------------- bench
# the policies are the library's, in its order (swiotlb_policy_name)
expect 2 "--only: unknown policy 'foo' (policies: fast, linux)" -- bench --only foo
expect 2 "--profile: unknown profile 'foo' (profiles: steady4k, alloc4k, mixed, frag90, threads2, align)" -- \
	bench --profile foo
expect 2 "--profile needs a value" -- bench --profile
expect 2 "--scale: 'x' is not a number in (0, 100]" -- bench --scale x
expect 2 "--locks: 'rw' is not spin or mutex" -- bench --locks rw
expect 2 "unknown option '--frob'" -- bench --frob
# a policy that did not run meets no target
expect 0 "target not measured (fast did not run)" -- bench --only linux --profile alloc4k --scale 0.0002
refuse "^alloc4k.*: met"
expect 0 "" -- bench --only fast --profile steady4k --profile mixed --scale 0.0002
refuse "^mixed.*: met"
expect 0 "" -- bench --json --profile align --scale 0.0002
json 2
expect 2 "unknown option '-q'" -- bench dma-map -q
expect 2 "-t needs a value" -- bench dma-map -t
expect 2 "-t 4294967297: invalid number of threads, must be in 1-1024" -- bench dma-map -t 4294967297
expect 2 "--loops -1: invalid loop count" -- bench dma-map --loops -1
expect 2 "-d 3: invalid dma direction" -- bench dma-map -d 3
expect 2 "--policy: unknown policy 'foo' (policies: fast, linux)" -- bench dma-map --policy foo
expect 2 "-x: '1e3' is not a number" -- bench dma-map -x 1e3
expect 0 "" -- bench dma-map --loops 50 --json
json 1
# the kernel tool's flags as getopt reads them: attached or not
expect 0 '"threads":2,"seconds":20,"node":-1,"dir":"TO_DEVICE","granule":3' -- \
	bench dma-map -t2 -d 1 -g3 -n -1 --loops=20 --json
expect 2 "-b 8: invalid dma mask bit" -- bench dma-map -b8
expect 2 "unexpected argument 'x'" -- bench dma-map x

# ------------------------------------------ one option syntax everywhere
# --opt=value and --opt value alike, errors naming the option as written
expect 0 '"profile":"align"' -- bench --profile=align --scale=0.0002 --json
expect 2 "--json takes no value (given '1')" -- replay --json=1
expect 2 "--script takes no value (given 'x')" -- demo --script=x
expect 2 "--no-progress takes no value (given 'yes')" -- run --no-progress=yes
expect 2 "ambiguous option '--s' (--socket, --serve, --share-all" -- blk --builtin --s 1
expect 2 "ambiguous option '--mach' (--machine, --machine-file)" -- boot --mach x86
expect 2 "--section needs a value" -- boot --mem 4G --section
expect 2 "unknown option '-z'" -- run -z
expect 2 "unexpected argument 'z'" -- bench z
expect 2 "more than one script given ('a.swtl' and 'b.swtl')" -- replay a.swtl b.swtl
# every command points to its --help after a usage error
expect 2 "Run \`swiotlb blk --help\` for the options." -- blk --bogus
expect 2 "Run \`swiotlb bench dma-map --help\` for the options." -- bench dma-map -t 0
# one number syntax: decimal or 0x hex; a leading zero is refused
expect 2 "--iodepth: '010' is not a number" -- blk --builtin --iodepth 010
expect 2 "--bs: '04k' is not a size" -- blk --builtin --bs 04k
expect 2 "--pool 0x1000: out of range (256k to 64g)" -- blk --builtin --pool 0x1000
expect 2 "-t: '010' is not a number" -- bench dma-map -t 010
printf 'pool p slots=010\n' >"$tmp/zero.swtl"
expect 2 "slots=010: a number has no leading zero (decimal, or 0x for hex)" -- replay "$tmp/zero.swtl"
expect 2 "--mem: mem: '010G' is not a size" -- boot --mem 010G

# ----------------------------------------------------------- boot, run
printf 'name %s[31mRED\377\nmem 4G\n' "$esc" >"$tmp/name.sim"
expect 0 'machine \x1b[31mRED\xff: x86 guest' -- boot --machine-file "$tmp/name.sim"
clean
expect 0 '"name":"\u001b[31mRED\ufffd"' -- boot --machine-file "$tmp/name.sim" --json
json 1
expect 0 "" -- run --machine-file "$tmp/name.sim" --job j,ios=20 --json
json 1
printf 'mem 4G\ncmdline "swiotlb=%s]0;pwn\007"\n' "$esc" >"$tmp/cmdline.sim"
expect 2 'cmdline.sim:2: cmdline: swiotlb=\x1b]0;pwn\x07' -- boot --machine-file "$tmp/cmdline.sim"
clean
expect 2 '/nonexistent/\x1b[1mx.sim: No such file or directory' -- boot --machine-file "/nonexistent/${esc}[1mx.sim"
clean
expect 2 "unknown option '--x\\x1b[2J'" -- run --mem 4G "--x${esc}[2J"
clean

# --------------------------------------------------- replay, demo, main
printf 'device d\377%s[31m mask=32\nfrobnicate\n' "$esc" >"$tmp/names.swtl"
expect 2 "" -- replay --json "$tmp/names.swtl"
json 2
expect 2 'names.swtl:2: syntax error' -- replay --echo "$tmp/names.swtl"
clean
expect 2 '/nonexistent/\x1b[2J.swtl: No such file or directory' -- replay "/nonexistent/${esc}[2J.swtl"
clean
expect 2 "unknown option '-x'" -- demo -x
expect 2 "unexpected argument 'y'" -- demo y
expect 2 "unknown command 'x\\x1b[2J'" -- "x${esc}[2J"
clean

expect_done "messages.sh"
