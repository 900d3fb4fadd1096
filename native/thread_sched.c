/*
 * Scheduling policy per thread, for the main process during a run (src/run/main-priority.ts) and
 * for a shard's helper threads (src/shard/helper-priority.ts): SCHED_IDLE lets any normal thread on
 * the core (a shard about to send) preempt it at once, where a lower nice or an equal one still lets
 * it finish its slice first (EEVDF's run-to-parity; with HZ=250, up to a 4 ms tick): at 5,000 req/s,
 * main-process threads at nice 10 and the shard's own V8 workers were inside most of the shard's late
 * sends (docs/PERFORMANCE.md, "Session 7", "Session 10"). And a starvation guard: a thread made
 * before the others are idled, so it keeps the normal policy, that checks how long each watched
 * thread waited for a core and ran, and puts them all back to SCHED_OTHER for as long as one of
 * them waits most of the time while they hardly run (a saturated core: the main thread must still see Ctrl-C and --max-duration,
 * the appends and checkpoints must keep up, V8's compiler and GC helpers must still run), then idles
 * them again once a period passes with none starved.
 *
 * setThreadIdle(tid) -> bool; setThreadNormal(tid) -> bool (SCHED_OTHER, its nice unchanged);
 * startStarvationGuard(pid, periodMs, maxWaitMs, minRunMs, exemptTid) -> guard (exemptTid: a
 * thread neither idled nor watched, -1 none); starvationGuardTid(guard) -> its tid; stopStarvationGuard(guard) ->
 * how many times it put the threads back.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int set_policy(int tid, int policy) {
  struct sched_param param;
  memset(&param, 0, sizeof param);
  return sched_setscheduler(tid, policy, &param) == 0;
}

static int tid_arg(napi_env env, napi_callback_info info, int32_t* out, size_t want, int32_t* more) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want ||
      napi_get_value_int32(env, argv[0], out) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a thread id");
    return 0;
  }
  for (size_t i = 1; i < want; i++) {
    if (napi_get_value_int32(env, argv[i], &more[i - 1]) != napi_ok) {
      napi_throw_type_error(env, NULL, "expected numbers");
      return 0;
    }
  }
  return 1;
}

static napi_value boolean(napi_env env, int v) {
  napi_value r;
  napi_get_boolean(env, v != 0, &r);
  return r;
}

static napi_value SetThreadIdle(napi_env env, napi_callback_info info) {
  int32_t tid;
  if (!tid_arg(env, info, &tid, 1, NULL)) return NULL;
  return boolean(env, set_policy(tid, SCHED_IDLE));
}

static napi_value SetThreadNormal(napi_env env, napi_callback_info info) {
  int32_t tid;
  if (!tid_arg(env, info, &tid, 1, NULL)) return NULL;
  return boolean(env, set_policy(tid, SCHED_OTHER));
}

typedef struct {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int pid;       /* watched: every thread of this process */
  int guard_tid; /* the guard's own */
  int exempt_tid; /* never idled, not watched (a shard's JS thread); -1 none */
  int period_ms;
  long long max_wait_ns;
  long long min_run_ns; /* the watched threads ran less than this in the period: starved */
  int stop;
  int boosts; /* times the threads were put back to SCHED_OTHER */
  int started;
} guard_t;

/*
 * /proc/.../schedstat: ns the thread has run on a core, and ns it has waited on a run queue; -1
 * when it cannot be read (the thread ended).
 */
static long long schedstat(int pid, int tid, long long* ran) {
  char path[80], buf[128];
  snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", pid, tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  unsigned long long run = 0, delay = 0;
  if (sscanf(buf, "%llu %llu", &run, &delay) != 2) return -1;
  *ran = (long long)run;
  return (long long)delay;
}

/* Threads watched at once; a Node main process has ~15 (libuv's 4, V8's, DuckDB's). */
#define GUARD_MAX_THREADS 512

typedef struct {
  int tid;
  long long delay;
  long long ran;
} seen_t;

/*
 * The process's threads and their run delays now, into `now` (sorted by tid as listed); returns
 * how many, or -1 when the process's task list cannot be read.
 */
static int list_threads(int pid, int skip, int skip2, seen_t* now) {
  char path[48];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR* dir = opendir(path);
  if (dir == NULL) return -1;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(dir)) != NULL && n < GUARD_MAX_THREADS) {
    int tid = atoi(e->d_name);
    if (tid <= 0 || tid == skip || tid == skip2) continue;
    long long ran = 0;
    long long d = schedstat(pid, tid, &ran);
    if (d < 0) continue; /* ended meanwhile */
    now[n].tid = tid;
    now[n].delay = d;
    now[n].ran = ran;
    n++;
  }
  closedir(dir);
  return n;
}

/* The thread's entry at the last look; NULL when it is new since (it counts from 0: it cannot have waited longer than it lived). */
static const seen_t* seen_before(const seen_t* last, int n_last, int tid) {
  for (int j = 0; j < n_last; j++)
    if (last[j].tid == tid) return &last[j];
  return NULL;
}

/*
 * Each period: when ANY watched thread (the JS thread, DuckDB's threads that a commit or checkpoint
 * waits for, libuv's, V8's) waited for a core more than max_wait_ns of it while the watched threads
 * together ran less than min_run_ns, every watched thread goes back to SCHED_OTHER (at its lowered
 * nice), so the appends, commits and checkpoints keep up and the JS thread sees Ctrl-C; once a
 * period passes with none waiting that long, they are idled again. Watching only the JS thread missed a
 * commit asleep on a starved worker thread. Waits alone are not starvation: four of V8's workers
 * runnable on one core wait 3/4 of the time behind each other, and boosting them for that put them
 * back inside the shard's first second for 16 ms at a time. Putting them back for the rest of the
 * run (as until session 10) lost SCHED_IDLE in most runs.
 */
static void* guard_main(void* arg) {
  guard_t* g = (guard_t*)arg;
  seen_t* last = calloc(GUARD_MAX_THREADS, sizeof *last);
  seen_t* now = calloc(GUARD_MAX_THREADS, sizeof *now);
  pthread_mutex_lock(&g->mu);
  g->guard_tid = (int)syscall(SYS_gettid);
  g->started = 1;
  pthread_cond_broadcast(&g->cond);
  int n_last = last == NULL || now == NULL ? -1 : list_threads(g->pid, g->guard_tid, g->exempt_tid, last);
  int boosted = 0;
  while (!g->stop && n_last >= 0) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long long ns = until.tv_nsec + (long long)g->period_ms * 1000000LL;
    until.tv_sec += ns / 1000000000LL;
    until.tv_nsec = ns % 1000000000LL;
    while (!g->stop && pthread_cond_timedwait(&g->cond, &g->mu, &until) != ETIMEDOUT) {
    }
    if (g->stop) break;
    int n_now = list_threads(g->pid, g->guard_tid, g->exempt_tid, now);
    if (n_now < 0) break;
    int waited = 0;
    long long ran = 0;
    for (int i = 0; i < n_now; i++) {
      const seen_t* before = seen_before(last, n_last, now[i].tid);
      if (now[i].delay - (before == NULL ? 0 : before->delay) > g->max_wait_ns) waited = 1;
      ran += now[i].ran - (before == NULL ? 0 : before->ran);
    }
    /* Into SCHED_OTHER when starved; back to SCHED_IDLE once none waits long (not merely once they ran). */
    int starved = boosted ? waited : waited && ran < g->min_run_ns;
    if (starved != boosted) {
      for (int i = 0; i < n_now; i++) set_policy(now[i].tid, starved ? SCHED_OTHER : SCHED_IDLE);
      boosted = starved;
      g->boosts += starved;
    } else if (!boosted) {
      /* A thread made since by a thread that is not idled (a shard's JS thread starts libuv's pool). */
      for (int i = 0; i < n_now; i++)
        if (seen_before(last, n_last, now[i].tid) == NULL) set_policy(now[i].tid, SCHED_IDLE);
    }
    seen_t* t = last;
    last = now;
    now = t;
    n_last = n_now;
  }
  pthread_mutex_unlock(&g->mu);
  free(last);
  free(now);
  return NULL;
}

static void finalize_guard(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  guard_t* g = (guard_t*)data;
  pthread_mutex_lock(&g->mu);
  int running = g->started && g->stop != 2;
  g->stop = 1;
  pthread_cond_broadcast(&g->cond);
  pthread_mutex_unlock(&g->mu);
  if (running) pthread_join(g->thread, NULL);
  pthread_mutex_destroy(&g->mu);
  pthread_cond_destroy(&g->cond);
  free(g);
}

static napi_value StartStarvationGuard(napi_env env, napi_callback_info info) {
  int32_t tid, more[4];
  if (!tid_arg(env, info, &tid, 5, more)) return NULL;
  guard_t* g = calloc(1, sizeof *g);
  if (g == NULL) {
    napi_throw_error(env, NULL, "startStarvationGuard: out of memory");
    return NULL;
  }
  g->pid = tid;
  g->period_ms = more[0] > 0 ? more[0] : 1;
  g->max_wait_ns = (long long)more[1] * 1000000LL;
  g->min_run_ns = (long long)more[2] * 1000000LL;
  g->exempt_tid = more[3];
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cond, NULL);
  if (pthread_create(&g->thread, NULL, guard_main, g) != 0) {
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cond);
    free(g);
    napi_throw_error(env, NULL, "startStarvationGuard: cannot start the thread");
    return NULL;
  }
  /* Wait until it runs, so its tid is known (the caller must not idle it). */
  pthread_mutex_lock(&g->mu);
  while (!g->started) pthread_cond_wait(&g->cond, &g->mu);
  pthread_mutex_unlock(&g->mu);
  napi_value external;
  napi_create_external(env, g, finalize_guard, NULL, &external);
  return external;
}

static guard_t* guard_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "expected a starvation guard");
    return NULL;
  }
  return (guard_t*)data;
}

static napi_value StarvationGuardTid(napi_env env, napi_callback_info info) {
  guard_t* g = guard_arg(env, info);
  if (g == NULL) return NULL;
  napi_value r;
  napi_create_int32(env, g->guard_tid, &r);
  return r;
}

/* Stops the guard (joins its thread); returns how many times it put the threads back to SCHED_OTHER. */
static napi_value StopStarvationGuard(napi_env env, napi_callback_info info) {
  guard_t* g = guard_arg(env, info);
  if (g == NULL) return NULL;
  pthread_mutex_lock(&g->mu);
  int joinable = g->stop != 2;
  g->stop = 1;
  pthread_cond_broadcast(&g->cond);
  pthread_mutex_unlock(&g->mu);
  if (joinable) pthread_join(g->thread, NULL);
  g->stop = 2; /* joined */
  napi_value r;
  napi_create_int32(env, g->boosts, &r);
  return r;
}

napi_value RegisterThreadSched(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "setThreadIdle", NAPI_AUTO_LENGTH, SetThreadIdle, NULL, &fn);
  napi_set_named_property(env, exports, "setThreadIdle", fn);
  napi_create_function(env, "setThreadNormal", NAPI_AUTO_LENGTH, SetThreadNormal, NULL, &fn);
  napi_set_named_property(env, exports, "setThreadNormal", fn);
  napi_create_function(env, "startStarvationGuard", NAPI_AUTO_LENGTH, StartStarvationGuard, NULL, &fn);
  napi_set_named_property(env, exports, "startStarvationGuard", fn);
  napi_create_function(env, "starvationGuardTid", NAPI_AUTO_LENGTH, StarvationGuardTid, NULL, &fn);
  napi_set_named_property(env, exports, "starvationGuardTid", fn);
  napi_create_function(env, "stopStarvationGuard", NAPI_AUTO_LENGTH, StopStarvationGuard, NULL, &fn);
  napi_set_named_property(env, exports, "stopStarvationGuard", fn);
  return exports;
}
