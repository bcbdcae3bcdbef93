/*
 * bin/ocirt: the launcher engines and users run. It starts Node on dist/src/boot.js with the
 * environment ocirt wants, at the cost of one exec (a shell script did the same for 2 ms more,
 * two of them in the subshells that read the limits):
 *   - NODE_EXTRA_CA_CERTS and NODE_OPTIONS go: Node reads them before any JavaScript runs (the
 *     first costs 70 ms here), and ocirt opens no TLS connection and takes no Node options from
 *     its caller;
 *   - OCIRT_CALLER_NOFILE carries the caller's RLIMIT_NOFILE ("soft:hard"), which Node raises
 *     at start-up: a config without RLIMIT_NOFILE gets the caller's, not Node's.
 * The node it runs is the one the project was built with (OCIRT_NODE, from binding.gyp), never
 * a lookup in the caller's PATH: a root caller with a hostile PATH would otherwise run another
 * program as the runtime.
 * Before any of that, `state`, `start`, `kill` and `delete` of a container in a plain case are
 * answered here without Node (fastpath.c); OCIRT_NO_FASTPATH=1 sends every command to Node.
 * Built by node-gyp with the addon (binding.gyp); bin/ocirt is a link to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
