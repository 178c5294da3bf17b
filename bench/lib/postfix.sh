# A private Postfix instance for the bench scripts: source it after procs.sh. POSTFIX_DIR is set while ours may run.
POSTFIX_DIR=""

postfix_master_pid() { # our instance's master, from its own pid file
  [[ -n "$POSTFIX_DIR" && -f "$POSTFIX_DIR/queue/pid/master.pid" ]] || return 1
  tr -d ' \n' <"$POSTFIX_DIR/queue/pid/master.pid"
}

stop_postfix() { # stops our instance (KILL for its master only if it is still ours after 10 s); POSTFIX_DIR stays set
  [[ -n "$POSTFIX_DIR" ]] || return 0
  local master i
  master=$(postfix_master_pid || true)
  postfix -c "$POSTFIX_DIR/etc" stop >/dev/null 2>&1 || true
  if [[ -n "$master" ]]; then
    for i in $(seq 1 100); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$master" 2>/dev/null; then
      grep -q master "/proc/$master/comm" 2>/dev/null && kill -KILL "$master" 2>/dev/null || true
    fi
  fi
}

# DIR SMTPD-PORT RELAY-PORT SESSIONS [postconf settings...]: configures (not starts) a relay instance in DIR: its own
# config, queue and data directories (the system's /etc/postfix is only read), smtpd on SMTPD-PORT, everything
# relayed to 127.0.0.1:RELAY-PORT with SESSIONS connections, no TLS, no DNS, no chroot; sets POSTFIX_DIR.
configure_postfix() {
  local dir=$1 port=$2 relay=$3 sessions=$4
  shift 4
  mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
  chown postfix:postfix "$dir/data"   # master's lock file and the TLS/verify caches
  cp /etc/postfix/main.cf /etc/postfix/master.cf "$dir/etc/"
  postconf -c "$dir/etc" -e \
    "config_directory = $dir/etc" "queue_directory = $dir/queue" "data_directory = $dir/data" \
    "maillog_file = $dir/maillog" "maillog_file_prefixes = /var, /dev/stdout, $dir" \
    "inet_interfaces = 127.0.0.1" "inet_protocols = ipv4" "mynetworks = 127.0.0.0/8" \
    "mydestination =" "relay_domains =" "relayhost = [127.0.0.1]:$relay" \
    "default_transport = smtp" "relay_transport = smtp" \
    "smtp_tls_security_level = none" "smtpd_tls_security_level = none" \
    "smtp_host_lookup = native" "smtp_dns_support_level = disabled" \
    "default_process_limit = $((sessions * 2))" "smtp_destination_concurrency_limit = $sessions" \
    "relay_destination_concurrency_limit = $sessions" "smtpd_client_connection_count_limit = $((sessions * 2))" \
    "alias_maps =" "alias_database =" "multi_instance_enable = no" "biff = no" ${1+"$@"}
  postconf -c "$dir/etc" -M "$port/inet=$port inet n - n - - smtpd"
  postconf -c "$dir/etc" -MX "smtp/inet" 2>/dev/null || true
  postconf -c "$dir/etc" -F '*/*/chroot = n'
  postfix -c "$dir/etc" check >"$dir/check.log" 2>&1 || { cat "$dir/check.log" >&2; return 1; }
  POSTFIX_DIR=$dir
}

# On exit of a bench script that uses this instance: stops it, then every PID in STARTED (procs.sh's stop_pid), and
# removes WORK unless KEEP_WORK is set. The script defines STARTED, WORK and log.
bench_cleanup() {
  local pid
  stop_postfix; POSTFIX_DIR=""
  for pid in ${STARTED[@]+"${STARTED[@]}"}; do stop_pid "$pid"; done
  if [[ -n "${KEEP_WORK:-}" ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
