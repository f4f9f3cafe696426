# Shell helpers the benchmark scripts share (bench.sh, compare.sh, instructions.sh,
# profile.sh): `source "$(dirname "$0")/lib.sh"`.

# A port on 127.0.0.1 that nothing listens on now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_port PORT [TRIES]: until something accepts a TCP connection on 127.0.0.1:PORT,
# trying every 0.2 s (150 tries by default: slow starts under valgrind included).
wait_port() {
    local tries=${2:-150}
    for _ in $(seq 1 "$tries"); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), timeout=0.2)" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}

# utime + stime of PID in clock ticks (fields 14 and 15 of /proc/PID/stat, counted
# after the `(comm)`, which may hold spaces).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
