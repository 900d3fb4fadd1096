/*
 * Scheduling policy per thread, for the main process during a run (src/run/main-priority.ts):
 * SCHED_IDLE lets any normal thread on the core (a shard about to send) preempt it at once, where
 * a lower nice still lets it finish its slice first (EEVDF's run-to-parity): at 5,000 req/s,
 * main-process threads at nice 10 were still inside the shard's late sends (docs/PERFORMANCE.md,
 * "Session 7"). And a starvation guard: a thread made before the others are idled, so it keeps the
 * normal policy, that checks how long the main JS thread waited for a core and puts it back to
 * SCHED_OTHER when it waited most of the time (a saturated core: the main thread must still see
 * Ctrl-C and --max-duration).
 *
 * setThreadIdle(tid) -> bool; setThreadNormal(tid) -> bool (SCHED_OTHER, its nice unchanged);
 * startStarvationGuard(tid, periodMs, maxWaitMs) -> guard; starvationGuardTid(guard) -> its tid;
 * stopStarvationGuard(guard) -> whether it fired.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
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
  size_t argc = 3;
  napi_value argv[3];
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
  int tid;       /* watched */
  int guard_tid; /* the guard's own */
  int period_ms;
  long long max_wait_ns;
  int stop;
  int fired;
  int started;
} guard_t;

/* run_delay: ns the thread has waited on a run queue (/proc/.../schedstat, second field). */
static long long run_delay(int tid) {
  char path[64], buf[128];
  snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  unsigned long long run = 0, delay = 0;
  if (sscanf(buf, "%llu %llu", &run, &delay) != 2) return -1;
  return (long long)delay;
}

static void* guard_main(void* arg) {
  guard_t* g = (guard_t*)arg;
  pthread_mutex_lock(&g->mu);
  g->guard_tid = (int)syscall(SYS_gettid);
  g->started = 1;
  pthread_cond_broadcast(&g->cond);
  long long last = run_delay(g->tid);
  while (!g->stop) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long long ns = until.tv_nsec + (long long)g->period_ms * 1000000LL;
    until.tv_sec += ns / 1000000000LL;
    until.tv_nsec = ns % 1000000000LL;
    while (!g->stop && pthread_cond_timedwait(&g->cond, &g->mu, &until) != ETIMEDOUT) {
    }
    if (g->stop) break;
    long long now = run_delay(g->tid);
    if (now < 0) break; /* the thread is gone */
    if (last >= 0 && now - last > g->max_wait_ns) {
      g->fired = set_policy(g->tid, SCHED_OTHER);
      break;
    }
    last = now;
  }
  pthread_mutex_unlock(&g->mu);
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
  int32_t tid, more[2];
  if (!tid_arg(env, info, &tid, 3, more)) return NULL;
  guard_t* g = calloc(1, sizeof *g);
  if (g == NULL) {
    napi_throw_error(env, NULL, "startStarvationGuard: out of memory");
    return NULL;
  }
  g->tid = tid;
  g->period_ms = more[0] > 0 ? more[0] : 1;
  g->max_wait_ns = (long long)more[1] * 1000000LL;
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

/* Stops the guard (joins its thread); returns whether it had put the thread back to SCHED_OTHER. */
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
  return boolean(env, g->fired);
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
