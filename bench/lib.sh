# Shell helpers shared by the bench scripts (sourced, not run).

# sum_sizes DIR [NAME_GLOB]: total bytes of the regular files under DIR, as
# an integer (mawk would print a sum above 2^31 as 2.3857e+09, which bash
# arithmetic refuses).
sum_sizes() {
  { find "$1" -type f -name "${2:-*}" -printf '%s\n' 2>/dev/null || true; } | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
