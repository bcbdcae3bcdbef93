/*
 * The in-container probe: a static program that reports what the process sees, so tests and
 * the README's demo need no image. `probe hello` greets; `probe report` prints one JSON object
 * of the facts the runtime sets up; `probe exit N` exits with N; `probe sleep S` sleeps.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static void status_field(const char *name, char *out, size_t n) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[512];
  out[0] = 0;
  if (!f) return;
  size_t len = strlen(name);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, name, len) == 0 && line[len] == ':') {
      char *v = line + len + 1;
      while (*v == ' ' || *v == '\t') v++;
      v[strcspn(v, "\n")] = 0;
      for (char *t = v; *t; t++)
        if (*t == '\t') *t = ' ';  // Uid/Gid separate fields with tabs; keep the JSON clean
      snprintf(out, n, "%s", v);
      break;
    }
  }
  fclose(f);
}

static void ns_inode(const char *ns, char *out, size_t n) {
  char path[64], target[128];
  snprintf(path, sizeof path, "/proc/self/ns/%s", ns);
  ssize_t r = readlink(path, target, sizeof target - 1);
  target[r > 0 ? r : 0] = 0;
  snprintf(out, n, "%s", target);
}

static int report(void) {
  static const char *fields[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp",
                                 "Seccomp_filters", "SigBlk", "SigIgn", "Uid", "Gid", "Groups", "Umask"};
  static const struct { const char *name; int res; } limits[] = {
      {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC}, {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_STACK", RLIMIT_STACK},   {"RLIMIT_AS", RLIMIT_AS},       {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}};
  static const char *nss[] = {"pid", "net", "ipc", "uts", "mnt", "user", "cgroup", "time"};
  char buf[512], cwd[512];
  struct utsname u;
  uname(&u);
  printf("{\"pid\":%d,\"ppid\":%d,\"hostname\":\"%s\",\"domainname\":\"%s\",\"cwd\":\"%s\"", getpid(), getppid(),
         u.nodename, u.domainname, getcwd(cwd, sizeof cwd) ? cwd : "");
  printf(",\"dumpable\":%d,\"personality\":%d", prctl(PR_GET_DUMPABLE), personality(0xffffffff));
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
    status_field(fields[i], buf, sizeof buf);
    printf(",\"%s\":\"%s\"", fields[i], buf);
  }
  printf(",\"rlimits\":{");
  for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
    struct rlimit rl;
    getrlimit(limits[i].res, &rl);
    printf("%s\"%s\":[%lld,%lld]", i ? "," : "", limits[i].name, rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur,
           rl.rlim_max == RLIM_INFINITY ? -1LL : (long long)rl.rlim_max);
  }
  printf("},\"ns\":{");
  for (size_t i = 0; i < sizeof nss / sizeof *nss; i++) {
    ns_inode(nss[i], buf, sizeof buf);
    printf("%s\"%s\":\"%s\"", i ? "," : "", nss[i], buf);
  }
  printf("},\"fds\":[");
  DIR *d = opendir("/proc/self/fd");
  int first = 1, dfd = d ? dirfd(d) : -1;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == dfd) continue;
    printf("%s%s", first ? "" : ",", e->d_name);
    first = 0;
  }
  if (d) closedir(d);
  FILE *f = fopen("/proc/self/oom_score_adj", "r");
  int oom = 0;
  if (f) {
    if (fscanf(f, "%d", &oom) != 1) oom = 0;
    fclose(f);
  }
  printf("],\"oomScoreAdj\":%d", oom);
  const char *env_path = getenv("PATH");
  printf(",\"PATH\":\"%s\"}\n", env_path ? env_path : "");
  return 0;
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "hello";
  if (strcmp(cmd, "report") == 0) return report();
  if (strcmp(cmd, "exit") == 0) return argc > 2 ? atoi(argv[2]) : 0;
  if (strcmp(cmd, "sleep") == 0) {
    sleep(argc > 2 ? (unsigned)atoi(argv[2]) : 1000000);
    return 0;
  }
  struct utsname u;
  uname(&u);
  char caps[64];
  status_field("CapEff", caps, sizeof caps);
  printf("Hello from a container run by ocirt!\n  hostname %s, pid %d, uid %d, effective capabilities %s\n", u.nodename, getpid(),
         getuid(), caps);
  return 0;
}
