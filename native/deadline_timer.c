/*
 * A precise, cheap wait for the open-loop schedule: a timerfd (CLOCK_MONOTONIC, ns resolution, no
 * timer slack) watched by the event loop itself through a uv_poll handle. When it expires, epoll
 * wakes the loop and the JS callback runs in that turn, as a setTimeout callback would.
 *
 * Why: setTimeout has 1 ms granularity, so the schedule polled the clock with setImmediate for the
 * last ~1.5 ms before each deadline: at 2,000 requests/s (gaps of 0.5 ms) that kept a core busy,
 * 0.6–1.1 ms of CPU per request. A timerfd costs two syscalls per wait (settime, read) and wakes
 * within tens of µs (docs/PERFORMANCE.md, "Open-loop timers"). No helper thread: the loop's own
 * epoll is the waiter.
 *
 * createDeadlineTimer(cb) -> timer; armDeadlineTimer(timer, delayNs); disarmDeadlineTimer(timer);
 * closeDeadlineTimer(timer). An armed timer keeps the process alive (uv_ref), an idle one does not.
 */
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

typedef struct {
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  uv_poll_t poll;
  int fd;
  int closed;
  /* Two owners, the JS external and the uv handle: freed when both have let go. */
  int owners;
} deadline_timer;

static void release(deadline_timer* t) {
  if (--t->owners == 0) free(t);
}

static void on_closed(uv_handle_t* handle) { release((deadline_timer*)handle->data); }

static void close_timer(deadline_timer* t) {
  if (t->closed) return;
  t->closed = 1;
  uv_poll_stop(&t->poll);
  close(t->fd);
  if (t->callback != NULL) napi_delete_reference(t->env, t->callback);
  if (t->context != NULL) napi_async_destroy(t->env, t->context);
  t->callback = NULL;
  t->context = NULL;
  uv_close((uv_handle_t*)&t->poll, on_closed);
}

static void on_expired(uv_poll_t* poll, int status, int events) {
  (void)events;
  deadline_timer* t = (deadline_timer*)poll->data;
  uint64_t expirations;
  /* Drain the count (EAGAIN when a re-arm already cleared it); the timer is one-shot. */
  ssize_t n = read(t->fd, &expirations, sizeof expirations);
  if ((n != (ssize_t)sizeof expirations && status == 0) || t->closed) return;
  uv_unref((uv_handle_t*)poll);
  napi_env env = t->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, result;
  if (napi_get_reference_value(env, t->callback, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv); /* make_callback wants an object receiver */
    /* make_callback runs nextTicks and microtasks after it, as a timer callback gets. */
    if (napi_make_callback(env, t->context, recv, cb, 0, NULL, &result) == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

static deadline_timer* timer_arg(napi_env env, napi_callback_info info, double* value, size_t want) {
  size_t argc = 2;
  napi_value argv[2];
  void* data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want ||
      napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "expected a deadline timer");
    return NULL;
  }
  if (want == 2 && napi_get_value_double(env, argv[1], value) != napi_ok) {
    napi_throw_type_error(env, NULL, "armDeadlineTimer(timer, delayNs) needs a number");
    return NULL;
  }
  deadline_timer* t = (deadline_timer*)data;
  if (t->closed) {
    napi_throw_error(env, NULL, "the deadline timer is closed");
    return NULL;
  }
  return t;
}

static void finalize_timer(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  deadline_timer* t = (deadline_timer*)data;
  close_timer(t);
  release(t);
}

static napi_value CreateDeadlineTimer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "createDeadlineTimer(callback) needs a function");
    return NULL;
  }
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, NULL, "createDeadlineTimer: no event loop");
    return NULL;
  }
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  deadline_timer* t = calloc(1, sizeof *t);
  if (t == NULL) {
    close(fd);
    napi_throw_error(env, NULL, "createDeadlineTimer: out of memory");
    return NULL;
  }
  t->env = env;
  t->fd = fd;
  t->owners = 2;
  napi_value name;
  napi_create_string_utf8(env, "llm-loadgen.DeadlineTimer", NAPI_AUTO_LENGTH, &name);
  if (uv_poll_init(loop, &t->poll, fd) != 0) {
    close(fd);
    free(t);
    napi_throw_error(env, NULL, "createDeadlineTimer: cannot watch the timer");
    return NULL;
  }
  t->poll.data = t;
  if (napi_create_reference(env, argv[0], 1, &t->callback) != napi_ok ||
      napi_async_init(env, NULL, name, &t->context) != napi_ok) {
    t->owners = 1; /* no external: the handle's close frees it */
    close_timer(t);
    napi_throw_error(env, NULL, "createDeadlineTimer: cannot hold the callback");
    return NULL;
  }
  uv_poll_start(&t->poll, UV_READABLE, on_expired);
  uv_unref((uv_handle_t*)&t->poll);
  napi_value external;
  napi_create_external(env, t, finalize_timer, NULL, &external);
  return external;
}

/* armDeadlineTimer(timer, delayNs): fire once, delayNs from now (<= 0: as soon as possible). */
static napi_value ArmDeadlineTimer(napi_env env, napi_callback_info info) {
  double delay = 0;
  deadline_timer* t = timer_arg(env, info, &delay, 2);
  if (t == NULL) return NULL;
  int64_t ns = delay >= 1 ? (int64_t)delay : 1; /* 0 would disarm */
  struct itimerspec spec;
  memset(&spec, 0, sizeof spec);
  spec.it_value.tv_sec = ns / 1000000000;
  spec.it_value.tv_nsec = ns % 1000000000;
  if (timerfd_settime(t->fd, 0, &spec, NULL) != 0) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  uv_ref((uv_handle_t*)&t->poll);
  return NULL;
}

static napi_value DisarmDeadlineTimer(napi_env env, napi_callback_info info) {
  deadline_timer* t = timer_arg(env, info, NULL, 1);
  if (t == NULL) return NULL;
  struct itimerspec spec;
  memset(&spec, 0, sizeof spec);
  timerfd_settime(t->fd, 0, &spec, NULL);
  uv_unref((uv_handle_t*)&t->poll);
  return NULL;
}

static napi_value CloseDeadlineTimer(napi_env env, napi_callback_info info) {
  deadline_timer* t = timer_arg(env, info, NULL, 1);
  if (t != NULL) close_timer(t);
  return NULL;
}

napi_value RegisterDeadlineTimer(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "createDeadlineTimer", NAPI_AUTO_LENGTH, CreateDeadlineTimer, NULL, &fn);
  napi_set_named_property(env, exports, "createDeadlineTimer", fn);
  napi_create_function(env, "armDeadlineTimer", NAPI_AUTO_LENGTH, ArmDeadlineTimer, NULL, &fn);
  napi_set_named_property(env, exports, "armDeadlineTimer", fn);
  napi_create_function(env, "disarmDeadlineTimer", NAPI_AUTO_LENGTH, DisarmDeadlineTimer, NULL, &fn);
  napi_set_named_property(env, exports, "disarmDeadlineTimer", fn);
  napi_create_function(env, "closeDeadlineTimer", NAPI_AUTO_LENGTH, CloseDeadlineTimer, NULL, &fn);
  napi_set_named_property(env, exports, "closeDeadlineTimer", fn);
  return exports;
}
