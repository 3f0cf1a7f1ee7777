#!/bin/sh
# Every program has a manual page and every page a program, and they agree
# on the options: every long option a program's --help lists is in its
# page, and every long option the page's OPTIONS section describes is one
# --help lists (for cpz, the help of any of its commands).  Runs the
# programs in $BINDIR.  Every long option the README quotes is one a --help
# lists too, and every path of the project it quotes exists.
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-manopts.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export PATH="$BINDIR:$PATH"

# every program has a manual page, and every page a program
for t in tools/*.c; do
	name=$(basename "$t" .c)
	[ -f "man/man1/$name.1" ] && echo "ok - $name has a manual page" ||
		echo "not ok - $name has no man/man1/$name.1"
done
for page in man/man1/*.1; do
	name=$(basename "$page" .1)
	[ -f "tools/$name.c" ] || echo "not ok - man/man1/$name.1 documents no program"
done

long_opts() {
	grep -oE -- '--[a-z][a-z0-9]*(-[a-z0-9]+)*' | sort -u
}

for page in man/man1/*.1; do
	t=$(basename "$page" .1)
	if ! "$t" --help > "$TMP/help" 2>&1; then
		echo "not ok - $t --help fails: $(head -c 300 "$TMP/help")"
		continue
	fi
	if [ "$t" = cpz ]; then
		for c in cat head dump pack verify; do
			cpz "$c" --help >> "$TMP/help" 2>&1
		done
	fi
	# the page as text: roff's \- is a hyphen, font changes go
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page" > "$TMP/page"
	awk '/^\.SH/ { on = ($2 == "OPTIONS") ; next } on' "$TMP/page" > "$TMP/options"
	long_opts < "$TMP/help" > "$TMP/h"
	long_opts < "$TMP/page" > "$TMP/p"
	long_opts < "$TMP/options" > "$TMP/o"
	if [ ! -s "$TMP/h" ] || [ ! -s "$TMP/o" ]; then
		echo "not ok - $t: no long options found in --help or in the page's OPTIONS"
		continue
	fi
	missing=$(comm -23 "$TMP/h" "$TMP/p" | tr '\n' ' ')
	[ -z "$missing" ] && echo "ok - $t(1) describes every option of $t --help" ||
		echo "not ok - $t(1) lacks options $t --help lists: $missing"
	extra=$(comm -13 "$TMP/h" "$TMP/o" | tr '\n' ' ')
	[ -z "$extra" ] && echo "ok - $t --help lists every option of $t(1)'s OPTIONS" ||
		echo "not ok - $t --help lacks options $t(1) describes: $extra"
done

# every long option the README quotes (in backquotes) is one a program's
# --help lists: after a program's name, that program's
for t in tools/*.c; do
	name=$(basename "$t" .c)
	"$name" --help 2>&1 | long_opts > "$TMP/help.$name"
	[ "$name" = cpz ] && for c in cat head dump pack verify; do
		cpz "$c" --help 2>&1 | long_opts >> "$TMP/help.$name"
	done
done
sort -u "$TMP"/help.* > "$TMP/help.all"
grep -oE '`[^`]*--[a-z][^`]*`' README.md | tr -d '`' > "$TMP/quoted"
bad=
while IFS= read -r q; do
	set -- $q
	prog=$1
	[ -f "tools/$prog.c" ] && list=$TMP/help.$prog || list=$TMP/help.all
	for o in $(printf '%s\n' "$q" | long_opts); do
		grep -qxF -- "$o" "$list" || bad="$bad '$q'"
	done
done < "$TMP/quoted"
[ -z "$bad" ] && echo "ok - every long option the README quotes is one --help lists" ||
	echo "not ok - the README quotes options no --help lists:$bad"

# every file or folder of the project the README quotes exists
bad=
for p in $(grep -oE '`(bench|formats|lib|man|pipelines|tests|tools)/[A-Za-z0-9_./-]*`' README.md | tr -d '`' | sort -u); do
	[ -e "$p" ] || bad="$bad $p"
done
[ -z "$bad" ] && echo "ok - every path of the project the README quotes exists" ||
	echo "not ok - the README quotes paths that do not exist:$bad"
