# Shared by this lab's verify scripts (sourced).

# The newest Running, not terminating pod with label $2 in namespace $1.
live_pod() {
  kubectl get pods -n "$1" -l "$2" --sort-by=.metadata.creationTimestamp -o jsonpath='{range .items[*]}{.metadata.name}|{.metadata.deletionTimestamp}|{.status.phase}{"\n"}{end}' 2>/dev/null |
    awk -F'|' '$2 == "" && $3 == "Running" { p = $1 } END { print p }'
}

# The last line of a command's output that says something (not kubectl's exit note).
last_line() {
  grep -v -e '^command terminated' -e '^$' | tail -n 1
}
