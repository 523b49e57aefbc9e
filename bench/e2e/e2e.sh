# The end-to-end, memory and recovery benchmarks of ARCHITECTURE §9 (issue 4, Deliver 9).
# Sourced by bench/run after the intake benchmark, whose durable FULL rate ($full_rps) the
# end-to-end rate is compared with; uses its helpers (create_db, start_server, field, calc).
#
# Sizes (environment; the issue's sizes are the defaults):
#   BENCH_E2E_CONTACTS (1000) × BENCH_E2E_MESSAGES (10) at concurrency $connections
#   BENCH_PASSIVE_CONTACTS (100000)    contacts activated once each, then passivated
#   BENCH_RECOVERY_JOBS (100000)       pending jobs when the server is killed
#   BENCH_RECOVERY_CONTACTS (1000)     the senders of those jobs
#   BENCH_E2E_IDLE (5)                 contacts.idle_timeout, seconds, of the end-to-end run
# A size of 0 skips that benchmark.
#
# The server under test is the real `aibud serve` with sync FULL, ai.provider offline, burst
# merging off, and one Evolution instance whose URL is bench_fake_evolution on loopback, so
# every reply goes through the real send path. Figures come from the database (read with the
# sqlite3 shell, read-only), /metrics and /proc/PID/status.

e2e_contacts=${BENCH_E2E_CONTACTS:-1000}
e2e_messages=${BENCH_E2E_MESSAGES:-10}
passive_contacts=${BENCH_PASSIVE_CONTACTS:-100000}
recovery_jobs=${BENCH_RECOVERY_JOBS:-100000}
recovery_contacts=${BENCH_RECOVERY_CONTACTS:-1000}
e2e_idle=${BENCH_E2E_IDLE:-5}
fake_pid=""
export BENCH_EVOLUTION_KEY=bench-evolution-key  # the fake accepts any key

runtime_env=(AIBUD_AI_PROVIDER=offline AIBUD_MERGE_QUIET_PERIOD=0ms AIBUD_TEST_MALLOC_TRIM=1
             AIBUD_LOG_LEVEL=info)

# start_fake [--hang]: bench_fake_evolution on an ephemeral port; sets fake_pid, fake_port.
start_fake() {
  "$bench_bin/bench_fake_evolution" "$@" >"$work/fake.out" 2>&1 &
  fake_pid=$!
  fake_port=""
  for _ in $(seq 1 200); do
    fake_port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$work/fake.out")
    [[ -n $fake_port ]] && break
    sleep 0.05  # polling a child's start-up
  done
  if [[ -z $fake_port ]]; then
    echo "error: unavailable: bench_fake_evolution did not start:" >&2
    cat "$work/fake.out" >&2
    exit 1
  fi
}

stop_fake() {
  kill -KILL "$fake_pid" 2>/dev/null || true
  wait "$fake_pid" 2>/dev/null || true
  fake_pid=""
}

kill_server() {
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# A database with an Evolution instance "main" pointing at the fake.
create_evolution_db() {
  create_db "$1" --evolution-url "http://127.0.0.1:$fake_port" --evolution-key-env BENCH_EVOLUTION_KEY
}

# sql NAME QUERY: one read-only query on NAME's database.
sql() { sqlite3 -readonly -cmd ".timeout 5000" "$work/$1/a.db" "$2"; }

# metric NAME: one value from the running server's /metrics (which also runs malloc_trim(0)
# under AIBUD_TEST_MALLOC_TRIM=1, so read it before reading the RSS).
metric() {
  curl -s --max-time 10 "http://127.0.0.1:$port/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

# cpu_ticks: the server's CPU time so far (user + system, all threads), in clock ticks.
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$server_pid/stat"
}

# rss_kib: the server's resident set after a trim, in KiB.
rss_kib() {
  metric aibud_contact_actors_active >/dev/null
  awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status"
}

# wait_sql NAME QUERY WANT SECONDS: until QUERY's number reaches WANT; false on timeout.
wait_sql() {
  local deadline=$((SECONDS + $4)) got
  while ((SECONDS < deadline)); do
    got=$(sql "$1" "$2" 2>/dev/null || echo 0)
    ((${got:-0} >= $3)) && return 0
    sleep 0.1  # polling the database for the pipeline's progress
  done
  return 1
}

# wait_passivated SECONDS: until no contact actor is alive; false on timeout.
wait_passivated() {
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    [[ $(metric aibud_contact_actors_active) == 0 ]] && return 0
    sleep 0.2  # polling the passivation gauge
  done
  return 1
}

# post NAME TOTAL CONTACTS [LOADGEN ARGS...]: a counted load run; prints its lines.
post() {
  local name=$1 total=$2 contacts=$3
  shift 3
  AIBUD_BENCH_SECRET=$secret "$bench_bin/bench_intake_loadgen" --port "$port" --body "$body" \
    --label "$name" --connections "$connections" --total "$total" --contacts "$contacts" "$@"
}

finished_jobs="SELECT count(*) FROM jobs WHERE status NOT IN ('pending','running','waiting')"

# ---- end to end, and RSS per active contact ------------------------------------------------
if ((e2e_contacts > 0 && e2e_messages > 0)); then
  e2e_total=$((e2e_contacts * e2e_messages))
  echo "== end to end (ARCHITECTURE §9): $e2e_contacts contacts x $e2e_messages messages," \
       "concurrency $connections, sync FULL, offline AI, fake Evolution on loopback"
  start_fake
  create_evolution_db e2e
  start_server e2e FULL "${runtime_env[@]}" AIBUD_CONTACTS_IDLE_TIMEOUT="${e2e_idle}s"
  rss_start=$(rss_kib)
  writes0=$(metric aibud_storage_writes_total)
  tx0=$(metric aibud_storage_transactions_total)
  cpu0=$(cpu_ticks)
  post e2e "$e2e_total" "$e2e_contacts" --fresh >"$work/e2e.out"
  cat "$work/e2e.out"
  e2e_load=$(json_of "$(<"$work/e2e.out")")
  first_send_ms=$(field "$e2e_load" first_send_ms)
  if ! wait_sql e2e "$finished_jobs" "$e2e_total" 300; then
    echo "error: unavailable: the end-to-end run did not finish within 300 s" >&2
  fi
  last_done_ms=$(sql e2e "SELECT max(updated_at) FROM jobs")
  cpu1=$(cpu_ticks)
  active=$(metric aibud_contact_actors_active)
  rss_active=$(rss_kib)
  writes1=$(metric aibud_storage_writes_total)
  tx1=$(metric aibud_storage_transactions_total)
  done_jobs=$(sql e2e "SELECT count(*) FROM jobs WHERE status = 'done'")
  statuses=$(sql e2e "SELECT group_concat(status || ':' || n, ' ') FROM (SELECT status, count(*) n FROM jobs GROUP BY status)")
  replies=$(sql e2e "SELECT count(*) FROM sent_messages")
  wait_passivated $((e2e_idle + 30)) || echo "warning: contacts still active after $((e2e_idle + 30)) s" >&2
  rss_idle=$(rss_kib)
  stop_server
  stop_fake

  e2e_seconds=$(calc "($last_done_ms - $first_send_ms) / 1000")
  e2e_rate=$(calc "$e2e_seconds > 0 ? $done_jobs / $e2e_seconds : 0")
  e2e_ratio=$(calc "$full_rps > 0 ? $e2e_rate / $full_rps : 0")
  commits_per_message=$(calc "$done_jobs > 0 ? ($tx1 - $tx0) / $done_jobs : 0")
  writes_per_message=$(calc "$done_jobs > 0 ? ($writes1 - $writes0) / $done_jobs : 0")
  # Less the webhook's own write: what the job pipeline asks of the writer per message.
  job_writes_per_message=$(calc "$done_jobs > 0 ? ($writes1 - $writes0 - $e2e_total) / $done_jobs : 0")
  # What the whole server spent on each message, webhook to recorded reply: on two cores the
  # rate is bounded by this and by what the load generator and the fake Evolution take.
  cpu_us_per_message=$(calc "$done_jobs > 0 ? ($cpu1 - $cpu0) * 1000000 / $(getconf CLK_TCK) / $done_jobs : 0")
  active_bytes=$(calc "$active > 0 ? ($rss_active - $rss_start) * 1024 / $active : 0")
  active_over_idle=$(calc "$active > 0 ? ($rss_active - $rss_idle) * 1024 / $active : 0")
  e2e_ok=$(awk "BEGIN { print ($e2e_rate >= 0.3 * $full_rps && $done_jobs == $e2e_total) ? \"PASS\" : \"FAIL\" }")
  commits_ok=$(awk "BEGIN { print ($commits_per_message <= 3 && $done_jobs > 0) ? \"PASS\" : \"FAIL\" }")
  active_ok=$(awk "BEGIN { print ($active_bytes <= 16384 && $active > 0) ? \"PASS\" : \"FAIL\" }")
  echo "jobs: $statuses; replies sent: $replies; seconds first webhook -> last reply: $e2e_seconds"
  echo "$e2e_ok: end to end $e2e_rate messages/s is $(calc "$e2e_ratio * 100")% of durable FULL intake $full_rps req/s (target >= 30%; $done_jobs/$e2e_total answered)"
  echo "server CPU per message (all threads, user + system): $cpu_us_per_message us"
  echo "$commits_ok: $commits_per_message commits (group-committed transactions) per message; writer calls per message: $job_writes_per_message by the job pipeline, $writes_per_message with the webhook's (target <= 3 commits)"
  echo "$active_ok: RSS per active contact with a 20-turn context $active_bytes B ($active contacts alive; RSS $rss_start -> $rss_active KiB; $active_over_idle B above the same contacts passivated; target <= 16384 B)"
  echo "{\"bench\":\"e2e\",\"contacts\":$e2e_contacts,\"messages\":$e2e_messages,\"answered\":$done_jobs,\"seconds\":$e2e_seconds,\"messages_per_s\":$e2e_rate,\"intake_full_rps\":$full_rps,\"ratio\":$e2e_ratio,\"commits_per_message\":$commits_per_message,\"writes_per_message\":$writes_per_message,\"job_writes_per_message\":$job_writes_per_message,\"server_cpu_us_per_message\":$cpu_us_per_message,\"rate_target\":\"$e2e_ok\",\"commits_target\":\"$commits_ok\"}"
  echo "{\"bench\":\"memory_active\",\"contacts\":$active,\"rss_start_kib\":$rss_start,\"rss_active_kib\":$rss_active,\"rss_passivated_kib\":$rss_idle,\"bytes_per_active_contact\":$active_bytes,\"bytes_above_passivated\":$active_over_idle,\"target\":\"$active_ok\"}"
fi

# ---- RSS per passivated contact -------------------------------------------------------------
# Each contact sends one message with the sample's (old) timestamp: its job activates the
# contact, which skips it as too old in one write, and passivates after 1 s idle. Half first,
# then the other half, so the second half's slope shows the cost once caches are warm.
if ((passive_contacts > 0)); then
  half=$((passive_contacts / 2))
  echo "== memory: $passive_contacts contacts each activated by a webhook, then passivated, then malloc_trim(0)"
  start_fake
  create_evolution_db passive
  start_server passive FULL "${runtime_env[@]}" AIBUD_CONTACTS_IDLE_TIMEOUT=1s
  rss_p0=$(rss_kib)
  post passive-1 "$half" "$half" >"$work/passive1.out"
  cat "$work/passive1.out"
  wait_sql passive "$finished_jobs" "$half" 600 || echo "warning: first half not finished" >&2
  wait_passivated 120 || echo "warning: contacts still active" >&2
  rss_p1=$(rss_kib)
  post passive-2 "$((passive_contacts - half))" "$((passive_contacts - half))" \
    --first-contact "$half" >"$work/passive2.out"
  cat "$work/passive2.out"
  wait_sql passive "$finished_jobs" "$passive_contacts" 600 || echo "warning: second half not finished" >&2
  wait_passivated 120 || echo "warning: contacts still active" >&2
  rss_p2=$(rss_kib)
  known=$(sql passive "SELECT count(*) FROM contacts")
  stop_server
  stop_fake
  passive_bytes=$(calc "$known > 0 ? ($rss_p2 - $rss_p0) * 1024 / $known : 0")
  passive_slope=$(calc "($rss_p2 - $rss_p1) * 1024 / ($passive_contacts - $half)")
  passive_ok=$(awk "BEGIN { print ($passive_bytes < 200 && $known > 0) ? \"PASS\" : \"FAIL\" }")
  echo "$passive_ok: RSS per passivated contact $passive_bytes B on average over $known contacts (RSS $rss_p0 -> $rss_p1 at $half -> $rss_p2 KiB; second half $passive_slope B each; target < 200 B)"
  echo "{\"bench\":\"memory_passivated\",\"contacts\":$known,\"rss_start_kib\":$rss_p0,\"rss_half_kib\":$rss_p1,\"rss_end_kib\":$rss_p2,\"bytes_per_contact\":$passive_bytes,\"bytes_per_contact_second_half\":$passive_slope,\"target\":\"$passive_ok\"}"
fi

# ---- recovery -------------------------------------------------------------------------------
# The fake never answers a send: each sender's first job waits in its send step and the rest
# stay pending. SIGKILL, restart, and time from the restart's exec to the first job whose
# attempt began after it (its row turns `running` in the job's first write).
if ((recovery_jobs > 0)); then
  echo "== recovery: $recovery_jobs pending jobs from $recovery_contacts contacts, SIGKILL, restart"
  start_fake --hang
  create_evolution_db recovery
  start_server recovery FULL "${runtime_env[@]}"
  post recovery-fill "$recovery_jobs" "$recovery_contacts" --fresh >"$work/recovery.out"
  cat "$work/recovery.out"
  wait_sql recovery "SELECT count(*) FROM jobs" "$recovery_jobs" 120 || echo "warning: backlog short" >&2
  kill_server
  backlog=$(sql recovery "SELECT count(*) FROM jobs WHERE status IN ('pending','running','waiting')")
  restart_ms=$(date +%s%3N)
  start_server recovery FULL "${runtime_env[@]}"
  first_run="SELECT count(*) FROM jobs WHERE status = 'running' AND updated_at >= $restart_ms"
  wait_sql recovery "$first_run" 1 60 || echo "warning: no job started within 60 s" >&2
  first_ms=$(sql recovery "SELECT min(updated_at) FROM jobs WHERE updated_at >= $restart_ms AND status <> 'pending'")
  # The backlog is read in pages while the first jobs already run; its end is logged.
  resume_line=""
  for _ in $(seq 1 1200); do
    resume_line=$(grep '"resuming unfinished jobs"' "$work/recovery/serve.log" | tail -n 1 || true)
    [[ -n $resume_line ]] && break
    sleep 0.1  # polling the server's log for the end of its start-up read
  done
  kill_server
  stop_fake
  recovery_s=$(calc "${first_ms:-0} > 0 ? ($first_ms - $restart_ms) / 1000 : -1")
  resume_at=$(sed -n 's/^{"time":"\([^"]*\)".*/\1/p' <<<"$resume_line")
  resume_s=-1
  [[ -n $resume_at ]] && resume_s=$(calc "($(date -d "$resume_at" +%s%3N) - $restart_ms) / 1000")
  recovery_ok=$(awk "BEGIN { print ($recovery_s >= 0 && $recovery_s <= 2) ? \"PASS\" : \"FAIL\" }")
  echo "$recovery_ok: first job started $recovery_s s after the restart with $backlog unfinished jobs (target <= 2 s); the start-up read of unfinished jobs ended after $resume_s s"
  echo "{\"bench\":\"recovery\",\"unfinished_jobs\":$backlog,\"seconds_to_first_job\":$recovery_s,\"seconds_to_jobs_loaded\":$resume_s,\"target\":\"$recovery_ok\"}"
fi
