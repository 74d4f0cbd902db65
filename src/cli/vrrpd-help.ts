// bin/vrrpd's --help text (src/cli/vrrpd.ts).

export const HELP = `usage: vrrpd [OPTION...]           run the VRRP daemon (keepalived's command line)
       vrrpd status [--json] [--socket PATH]   show a running daemon's instances
       vrrpd record [--json] [--socket PATH]   have it write its flight recording; print the file

  -f, --use-file=FILE        configuration file (default /etc/keepalived/keepalived.conf;
                             a name ending in .json is vrrp-engine's JSON configuration)
  -t, --config-test[=FILE]   check the configuration as a start would (every check that needs no
                             network), print problems with file:line (to FILE if given), exit 0
                             if it is usable, 5 if not
  -i, --config-id=ID         which @ID lines of the configuration apply (default: the host name
                             up to its first dot, as keepalived)
  -e, --all-config           every include problem is an error (as include_check with no option)
  -n, --dont-fork            accepted: vrrpd never forks
  -l, --log-console          readable log lines (the default on a terminal; JSON lines otherwise)
  -D, --log-detail           debug-level logging
  -d, --dump-conf            log the configuration as read, at start
  -p, --pid=FILE             pid file (default /run/keepalived.pid, or as use_pid_dir, instance
                             and net_namespace name it; mode 0644), removed at exit
  -r, --vrrp_pid=FILE        VRRP pid file (default /run/vrrp.pid, moved as -p's), removed at exit
  -V, --dont-release-vrrp    at stop, keep the VIPs and send no priority-0 advert
  -u, --umask=MASK           umask for created files (overrides the file's umask; default 0177)
      --signum=SIGFUNC       print the signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
  -v, --version              version
  -s, --namespace=NAME       run in the network namespace /run/netns/NAME (overrides net_namespace)
  -h, --help                 this text
  Accepted and ignored (reported once): -P -C -B --all -S -G -X -I -R -c -b -a -x -A -m -M
  Refused: -T/--genhash.

vrrpd's own:
      --socket=PATH          status socket (default /run/vrrpd.sock, beside the pid files when
                             they move; mode 0600; "none": no socket)
      --dump-dir=DIR         where the signals write keepalived.data / .stats / .json, mode 0666
                             less the umask (0600 by default); the flight recording always 0600
                             (default /run/vrrpd, created 0700; keepalived's /tmp is not the default);
                             SIGUSR1 and the status socket's "record" command also write the
                             flight recording vrrpd.recording.json (vrrp-sim --replay FILE)
      --log-level=LEVEL      trace, debug, info, warn, error (overrides -D)
      --log-format=FORMAT    json or pretty (overrides -l and the terminal check)
      --process-title=TITLE  default "keepalived (vrrp-engine)" (pgrep keepalived matches it;
                             use "keepalived" for pidof / pgrep -x)
      --metrics[=ADDR:PORT]  serve /metrics (keepalived-exporter's names and ours); alone: every
                             address, port 2112 (the exporter's); VRRP_METRICS_LISTEN says the same

signals: TERM / INT stop (priority-0 adverts, VIPs removed, exit 0); HUP reloads the configuration
(a bad one is refused and the running one kept; instances keep their state, changes are applied in
place where the interface, VRID, family and version stay); USR1 writes
keepalived.data, USR2 keepalived.stats (JSON); SIGRTMIN+2 (--signum=JSON) writes keepalived.json;
SIGRTMAX-1 (--signum=STATS_CLEAR) writes keepalived.stats, then clears the statistics.
exit status: 0 stopped; 1 bad usage or could not start (no CAP_NET_RAW / CAP_NET_ADMIN, ...);
2 configuration error; 5 -t found problems (keepalived's statuses)`;
