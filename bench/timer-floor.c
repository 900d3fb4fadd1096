/*
 * The machine's own floor for schedule lag: a bare C loop that sleeps to Poisson deadlines at
 * RATE wake-ups per second (clock_nanosleep, TIMER_ABSTIME, CLOCK_MONOTONIC) for SECONDS and
 * records how late each wake-up was. No Node, no sockets, no allocation in the loop: what is left
 * is the kernel's and the hypervisor's wake-up latency on the core it runs on. On the 2-core VM of
 * session 9 its p99 at 5,000/s was 0.7–2.2 ms on core 1 with nothing else running, so a client's
 * lag p99 cannot be judged against 1 ms there without this figure beside it. It also prints its own
 * CPU per wake-up (getrusage, as process.cpuUsage counts a shard's): the least any wake costs here.
 *
 *   cc -O2 -o timer-floor bench/timer-floor.c -lm && taskset -c 1 ./timer-floor 5000 20
 * prints one JSON line: {"wakes":N,"p50_ms":…,"p90_ms":…,"p99_ms":…,"p999_ms":…,"max_ms":…,"cpu_us_per_wake":…}
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* User + system CPU of this process so far, ns. */
static int64_t cpu_ns(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return ((int64_t)u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000000LL +
         ((int64_t)u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000LL;
}

static int by_value(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: timer-floor RATE SECONDS\n");
    return 2;
  }
  double rate = atof(argv[1]), seconds = atof(argv[2]);
  size_t n = (size_t)(rate * seconds);
  if (rate <= 0 || n == 0) return 2;
  int64_t* late = malloc(n * sizeof *late);
  if (late == NULL) return 1;
  uint64_t s = 0x9e3779b97f4a7c15ULL; /* xorshift64*, fixed seed: the same schedule every run */
  int64_t deadline = now_ns() + 10000000; /* start 10 ms from now */
  int64_t cpu0 = cpu_ns();
  for (size_t i = 0; i < n; i++) {
    s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
    double u = (double)((s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
    deadline += (int64_t)(-log(1.0 - u) / rate * 1e9);
    struct timespec ts = {deadline / 1000000000LL, deadline % 1000000000LL};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
    }
    late[i] = now_ns() - deadline;
  }
  double cpu_us_per_wake = (double)(cpu_ns() - cpu0) / 1e3 / (double)n;
  qsort(late, n, sizeof *late, by_value);
#define Q(p) (late[(size_t)((double)(n - 1) * (p))] / 1e6)
  printf("{\"wakes\":%zu,\"p50_ms\":%.4f,\"p90_ms\":%.4f,\"p99_ms\":%.4f,\"p999_ms\":%.4f,\"max_ms\":%.4f,"
         "\"cpu_us_per_wake\":%.2f}\n",
         n, Q(0.5), Q(0.9), Q(0.99), Q(0.999), late[n - 1] / 1e6, cpu_us_per_wake);
  free(late);
  return 0;
}
