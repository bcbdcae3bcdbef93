/*
 * bin/ocirt: the launcher engines and users run. It starts Node on dist/src/boot.js with the
 * environment ocirt wants, at the cost of one exec (a shell script did the same for 2 ms more,
 * two of them in the subshells that read the limits):
 *   - NODE_EXTRA_CA_CERTS and NODE_OPTIONS go: Node reads them before any JavaScript runs (the
 *     first costs 70 ms here), and ocirt opens no TLS connection and takes no Node options from
 *     its caller;
 *   - OCIRT_CALLER_NOFILE carries the caller's RLIMIT_NOFILE ("soft:hard"), which Node raises
 *     at start-up: a config without RLIMIT_NOFILE gets the caller's, not Node's.
 *   - Node aborts with a native stack trace (exit 134) when it cannot start its threads (a pids
 *     limit of the caller's cgroup, RLIMIT_NPROC), before any JavaScript runs; the launcher
 *     starts as many threads first and, when that fails, says which limit it hit.
 * The node it runs is the one the project was built with (OCIRT_NODE, from binding.gyp), never
 * a lookup in the caller's PATH: a root caller with a hostile PATH would otherwise run another
 * program as the runtime.
 * Before any of that, `state`, `start`, `kill` and `delete` of a container in a plain case are
 * answered here without Node (fastpath.c); OCIRT_NO_FASTPATH=1 sends every command to Node.
 * Built by node-gyp with the addon (binding.gyp); bin/ocirt is a link to it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fastpath.h"

static void limit_text(rlim_t v, char* out, size_t n) {
  if (v == RLIM_INFINITY) snprintf(out, n, "unlimited");
  else snprintf(out, n, "%llu", (unsigned long long)v);
}

/* Node's threads at start-up: four V8 platform workers and the delayed-task scheduler, and one to spare. */
#define NODE_THREADS 6

static void* wait_release(void* arg) {
  char c;
  while (read(*(int*)arg, &c, 1) < 0 && errno == EINTR) {
  }
  return NULL;
}

/* The pids.max of the caller's cgroup as "<file> is <value>", or "" when none is found. */
static void pids_limit(char* out, size_t n) {
  out[0] = 0;
  FILE* f = fopen("/proc/self/cgroup", "r");
  if (!f) return;
  char line[4096], dir[4200] = "";
  while (fgets(line, sizeof(line), f)) {
    line[strcspn(line, "\n")] = 0;
    char* a = strchr(line, ':');
    char* b = a ? strchr(a + 1, ':') : NULL;
    if (!b) continue;
    *b = 0;
    const char* ctrls = a + 1;
    int v1 = strcmp(ctrls, "pids") == 0 || strstr(ctrls, "pids,") == ctrls || strstr(ctrls, ",pids") != NULL;
    if (v1) snprintf(dir, sizeof(dir), "/sys/fs/cgroup/pids%s", b + 1);
    else if (ctrls[0] == 0 && dir[0] == 0) snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s", b + 1);
    if (v1) break;
  }
  fclose(f);
  if (!dir[0]) return;
  char file[4300], val[64] = "";
  snprintf(file, sizeof(file), "%s/pids.max", dir);
  FILE* m = fopen(file, "r");
  if (!m) return;
  if (fgets(val, sizeof(val), m)) val[strcspn(val, "\n")] = 0;
  fclose(m);
  snprintf(out, n, "%s is %s", file, val);
}

/* Starts the threads Node needs and lets them go; on failure prints which limit stopped them. */
static int threads_available(void) {
  int p[2];
  if (pipe(p) != 0) return 1; /* not this check's business: Node reports it */
  pthread_t t[NODE_THREADS];
  int made = 0, err = 0;
  for (; made < NODE_THREADS; made++) {
    err = pthread_create(&t[made], NULL, wait_release, &p[0]);
    if (err) break;
  }
  close(p[1]);
  for (int i = 0; i < made; i++) pthread_join(t[i], NULL);
  close(p[0]);
  if (!err) return 1;
  char pids[4400];
  pids_limit(pids, sizeof(pids));
  struct rlimit nproc;
  char nproc_text[32] = "unlimited";
  if (getrlimit(RLIMIT_NPROC, &nproc) == 0) {
    if (nproc.rlim_cur == RLIM_INFINITY) snprintf(nproc_text, sizeof(nproc_text), "unlimited");
    else snprintf(nproc_text, sizeof(nproc_text), "%llu", (unsigned long long)nproc.rlim_cur);
  }
  /* strerror's text in lower case, as ocirt's other errors give errno texts */
  char text[128];
  snprintf(text, sizeof(text), "%s", strerror(err));
  text[0] = (char)tolower((unsigned char)text[0]);
  fprintf(stderr, "ocirt: cannot start the threads Node needs (%d of %d started): %s; the limits: %s%sRLIMIT_NPROC %s\n", made, NODE_THREADS,
          text, pids, pids[0] ? ", " : "", nproc_text);
  return 0;
}

/* OCIRT_FASTPATH_REPORT=FILE: a line "fast" or "node" per command, for the differential test to
 * know which side answered (the output must not tell). */
static void report(const char* side) {
  const char* file = getenv("OCIRT_FASTPATH_REPORT");
  if (!file || !*file) return;
  int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  if (write(fd, side, strlen(side)) < 0) { /* the test then sees a line missing */ }
  close(fd);
}

int main(int argc, char** argv) {
  const char* no_fast = getenv("OCIRT_NO_FASTPATH");
  if (!no_fast || !*no_fast) {
    int rc = fastpath_main(argc, argv);
    if (rc != FASTPATH_NODE) {
      report("fast\n");
      return rc;
    }
  }
  report("node\n");
  if (!threads_available()) return 1;
  char self[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (len <= 0) {
    fprintf(stderr, "ocirt: readlink /proc/self/exe: %s\n", strerror(errno));
    return 1;
  }
  self[len] = 0;
  /* <repo>/build/Release/ocirt-launcher -> <repo>/dist/src/boot.js */
  for (int up = 0; up < 3; up++) {
    char* slash = strrchr(self, '/');
    if (!slash) break;
    *slash = 0;
  }
  char boot[PATH_MAX + 32];
  snprintf(boot, sizeof(boot), "%s/dist/src/boot.js", self);

  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    char soft[32], hard[32], both[72];
    limit_text(nofile.rlim_cur, soft, sizeof(soft));
    limit_text(nofile.rlim_max, hard, sizeof(hard));
    snprintf(both, sizeof(both), "%s:%s", soft, hard);
    setenv("OCIRT_CALLER_NOFILE", both, 1);
  }
  unsetenv("NODE_EXTRA_CA_CERTS");
  unsetenv("NODE_OPTIONS");

  char** args = calloc((size_t)argc + 2, sizeof(char*));
  if (!args) return 1;
  args[0] = OCIRT_NODE;
  args[1] = boot;
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  execv(OCIRT_NODE, args);
  fprintf(stderr, "ocirt: exec %s: %s\n", OCIRT_NODE, strerror(errno));
  return 127;
}
