# HTTP/1.1 for the mk8s server images, in busybox sh. Sourced by a handler
# that `serve` runs once per TCP connection with the socket on stdin and
# stdout: the handler reads one request and writes one response with
# `Connection: close`, and the connection ends when the handler exits. There
# is no keep-alive, so every client (curl, busybox wget, nc, Node's http) sees
# the end of each response.
#
# The shell's `read` takes the socket one byte at a time, so whatever follows
# the headers (the body) is still there for `head -c`.

NL='
'
CR=$(printf '\r')
# The Server header; a handler may set its own.
HTTP_SERVER=${HTTP_SERVER:-mk8s}
# While `serve` drains (after SIGTERM), each connection says that it came.
[ ! -d /tmp/.mk8s-draining ] || : >"/tmp/.mk8s-draining/$$" 2>/dev/null

# http_read_request: reads the request line and headers. Sets REQ_METHOD,
# REQ_URI, REQ_PATH (REQ_URI without its query), REQ_PROTO, REQ_HOST,
# REQ_LENGTH (Content-Length, 0 if none), REQ_EXPECT and REQ_HEADERS (the
# header lines as sent, one per line). Fails on a malformed request, or when
# the client sends no line for 60 s (time for a person typing into
# telnet) or closes before the end of the headers.
http_read_request() {
	REQ_METHOD= REQ_URI= REQ_PATH= REQ_PROTO= REQ_HOST= REQ_LENGTH=0 REQ_EXPECT= REQ_HEADERS=
	local line name value count=0
	IFS= read -r -t 60 line || return 1
	line=${line%"$CR"}
	set -f
	# shellcheck disable=SC2086 # split the request line into its words
	set -- $line
	set +f
	[ $# -eq 3 ] || return 1
	REQ_METHOD=$1 REQ_URI=$2 REQ_PROTO=$3
	case $REQ_PROTO in HTTP/1.[01]) ;; *) return 1 ;; esac
	REQ_PATH=${REQ_URI%%\?*}
	while IFS= read -r -t 60 line; do
		line=${line%"$CR"}
		[ -n "$line" ] || break
		count=$((count + 1))
		[ "$count" -le 100 ] || return 1
		REQ_HEADERS="$REQ_HEADERS$line$NL"
		name=${line%%:*}
		value=${line#*:}
		value=${value#"${value%%[! 	]*}"}
		case $name in
		[Hh][Oo][Ss][Tt]) REQ_HOST=$value ;;
		[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Ll][Ee][Nn][Gg][Tt][Hh]) REQ_LENGTH=$value ;;
		[Ee][Xx][Pp][Ee][Cc][Tt]) REQ_EXPECT=$value ;;
		esac
	done
	[ -z "$line" ] || return 1
	case $REQ_LENGTH in '' | *[!0-9]*) return 1 ;; esac
	return 0
}

# http_copy_body: copies the request body to stdout (at most 60 s).
http_copy_body() {
	[ "$REQ_LENGTH" -gt 0 ] || return 0
	case $REQ_EXPECT in 100-[Cc][Oo][Nn][Tt][Ii][Nn][Uu][Ee]) printf 'HTTP/1.1 100 Continue\r\n\r\n' ;; esac
	timeout 60 head -c "$REQ_LENGTH"
}

# http_discard_body: reads the body away. Closing a socket with unread input
# makes the kernel send a reset, which can reach the client before it has read
# the response.
http_discard_body() {
	http_copy_body >/dev/null
}

# http_headers STATUS CONTENT_TYPE LENGTH [EXTRA]: the status line and headers.
# EXTRA is more header lines, each ending in CRLF.
http_headers() {
	printf 'HTTP/1.1 %s\r\nServer: %s\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %s\r\nConnection: close\r\n%s\r\n' \
		"$1" "$HTTP_SERVER" "$(date -u '+%a, %d %b %Y %H:%M:%S GMT')" "$2" "$3" "$4"
	http_log "$1"
}

# http_respond STATUS CONTENT_TYPE BODY [EXTRA]: a whole response (no body for HEAD).
http_respond() {
	http_headers "$1" "$2" "${#3}" "$4"
	[ "$REQ_METHOD" = HEAD ] || printf '%s' "$3"
}

# http_respond_file STATUS CONTENT_TYPE FILE: a response whose body is FILE.
http_respond_file() {
	http_headers "$1" "$2" "$(wc -c <"$3")"
	[ "$REQ_METHOD" = HEAD ] || cat "$3"
}

# http_bad_request: the answer to a request http_read_request refused.
http_bad_request() {
	REQ_METHOD=${REQ_METHOD:--}
	http_respond '400 Bad Request' 'text/plain; charset=utf-8' "400 Bad Request$NL"
}

# http_log STATUS: one line per request in the container's log.
http_log() {
	printf '"%s %s %s" %s\n' "${REQ_METHOD:--}" "${REQ_URI:--}" "${REQ_PROTO:--}" "${1%% *}" >&2
}

# pod_hostname: the pod's name (its hostname).
pod_hostname() {
	local name
	read -r name </proc/sys/kernel/hostname
	printf '%s' "$name"
}

# pod_ip: the pod's IPv4 address, looked up now: the kubelet wires the pod's
# network up after its containers start. eth0's address if it has one, else
# the first global one.
pod_ip() {
	ip -4 -o addr show scope global 2>/dev/null | {
		first=
		while read -r _ ifname family addr _; do
			[ "$family" = inet ] || continue
			if [ "$ifname" = eth0 ]; then
				printf '%s' "${addr%/*}"
				exit 0
			fi
			[ -n "$first" ] || first=${addr%/*}
		done
		printf '%s' "${first:-unknown}"
	}
}
