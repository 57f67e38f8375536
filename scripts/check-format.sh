#!/usr/bin/env bash
# Checks that C++ and CUDA sources are formatted as .clang-format says (clang-format --dry-run
# -Werror), lists the files that are not and exits 1 when there are any. Changes nothing.
#
#   scripts/check-format.sh              the files changed since BASE (below), committed or not,
#                                        and new files git does not ignore
#   scripts/check-format.sh --changed [BASE]
#   scripts/check-format.sh --all        every tracked *.cpp, *.h, *.cu and *.cuh (what CI runs)
#
# BASE defaults to the merge base with origin/main; where there is no origin/main, or HEAD is
# on it (a fresh clone of main, as CI has), to the previous commit, so that the last commit's
# files are checked; in a clone with a single commit every file is.
#
# CLANG_FORMAT names the program (default: clang-format). Versions differ in small ways; CI
# uses Debian 12's, clang-format 14, which installer/install-deps.sh installs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

clang_format=${CLANG_FORMAT:-clang-format}
patterns=('*.cpp' '*.h' '*.cu' '*.cuh')

usage() {
  sed -n '2,15s/^# \{0,1\}//p' "$0"
}

# Prints the commit that --changed compares with; nothing when there is none.
default_base() {
  local head base=
  head=$(git rev-parse HEAD)
  if git rev-parse -q --verify origin/main >/dev/null; then
    base=$(git merge-base origin/main HEAD 2>/dev/null || true)
  fi
  if [ -z "$base" ] || [ "$base" = "$head" ]; then
    base=$(git rev-parse -q --verify 'HEAD~1' 2>/dev/null || true)
  fi
  echo "$base"
}

files=()
case "${1:---changed}" in
  --all)
    mapfile -d '' files < <(git ls-files -z -- "${patterns[@]}")
    what="every tracked source"
    ;;
  --changed)
    base=${2:-$(default_base)}
    if [ -z "$base" ]; then
      exec "$0" --all
    fi
    # Deleted files are left out (--diff-filter), and so are files changed since BASE and then
    # deleted in the working tree.
    mapfile -d '' files < <(
      git diff -z --name-only --diff-filter=ACMR "$base" -- "${patterns[@]}"
      git ls-files -z --others --exclude-standard -- "${patterns[@]}"
    )
    existing=()
    for f in "${files[@]}"; do
      if [ -f "$f" ]; then existing+=("$f"); fi
    done
    files=("${existing[@]}")
    what="the sources changed since $(git rev-parse --short "$base")"
    ;;
  -h | --help)
    usage
    exit 0
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac

if [ ${#files[@]} -eq 0 ]; then
  echo "check-format: no C++ or CUDA source among $what"
  exit 0
fi

# clang-format goes on after a file that fails; its messages name file:line:column.
report=$("$clang_format" --dry-run -Werror "${files[@]}" 2>&1) && status=0 || status=$?
if [ "$status" -eq 0 ]; then
  echo "check-format: ${#files[@]} files ($what) are formatted as .clang-format says"
  exit 0
fi
mapfile -t failing < <(printf '%s\n' "$report" | sed -n 's/^\([^ :][^:]*\):[0-9]*:[0-9]*: error: .*/\1/p' |
  sort -u)
if [ ${#failing[@]} -eq 0 ]; then
  # Not a formatting report: clang-format itself failed (a missing file, a bad .clang-format).
  printf '%s\n' "$report" >&2
  echo "check-format: $clang_format failed (exit $status)" >&2
  exit 1
fi
printf '%s\n' "$report" | head -n 40 >&2
echo "check-format: ${#failing[@]} of ${#files[@]} files ($what) are not formatted as" \
  ".clang-format says; fix them with:" >&2
echo "  $clang_format -i ${failing[*]}" >&2
exit 1
