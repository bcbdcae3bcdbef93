/*
 * The in-container probe: a static program that reports what the process sees, so tests and
 * the README's demo need no image. `probe hello` greets; `probe report` prints one JSON object
 * of the facts the runtime sets up (the runc-oracle test compares it between runtimes); `probe
 * exit N` exits with N; `probe sleep S` sleeps.
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
#include <sys/sysmacros.h>
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


/* Prints `s` as a JSON string. */
static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

/* Each line of a file as a JSON string array, for /proc/self/cgroup and the like. */
static void lines_of(const char *path) {
  FILE *f = fopen(path, "r");
  char line[4096];
  int first = 1;
  putchar('[');
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (!first) putchar(',');
    json_str(line);
    first = 0;
  }
  if (f) fclose(f);
  putchar(']');
}

/* mountinfo without what differs by run (ids, device numbers, the host-side root of a bind):
 * "mount point, per-mount options, propagation tags, fs type, source, super options". */
static void mounts(void) {
  FILE *f = fopen("/proc/self/mountinfo", "r");
  char line[8192], out[8192];
  int first = 1;
  putchar('[');
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *field[64];
    int n = 0;
    for (char *t = strtok(line, " "); t && n < 64; t = strtok(NULL, " ")) field[n++] = t;
    int sep = 6;
    while (sep < n && strcmp(field[sep], "-") != 0) sep++;
    if (sep + 3 >= n) continue;
    char tags[512] = "";
    for (int i = 6; i < sep; i++) {  // shared:N master:N ... without their group numbers
      char tag[64];
      snprintf(tag, sizeof tag, "%s", field[i]);
      tag[strcspn(tag, ":")] = 0;
      snprintf(tags + strlen(tags), sizeof tags - strlen(tags), "%s%s", *tags ? "," : "", tag);
    }
    snprintf(out, sizeof out, "%s %s %s %s %s %s", field[4], field[5], *tags ? tags : "private", field[sep + 1], field[sep + 2],
             field[sep + 3]);
    if (!first) putchar(',');
    json_str(out);
    first = 0;
  }
  if (f) fclose(f);
  putchar(']');
}

/* Every entry of the given directories: "path mode(octal, with type) uid gid major:minor -> target". */
static void dev_entries(void) {
  static const char *dirs[] = {"/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/net"};
  int first = 1;
  putchar('[');
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    DIR *d = opendir(dirs[i]);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (strcmp(e->d_name, "..") == 0 || (strcmp(e->d_name, ".") == 0 && i == 0)) continue;
      char p[512], target[256] = "", out[1024];
      snprintf(p, sizeof p, "%s/%s", dirs[i], e->d_name);
      if (strcmp(e->d_name, ".") == 0) snprintf(p, sizeof p, "%s", dirs[i]);
      struct stat st;
      if (lstat(p, &st) != 0) continue;
      if (S_ISLNK(st.st_mode)) {
        ssize_t r = readlink(p, target, sizeof target - 1);
        target[r > 0 ? r : 0] = 0;
      }
      snprintf(out, sizeof out, "%s %o %u %u %u:%u%s%s", p, st.st_mode, st.st_uid, st.st_gid, major(st.st_rdev), minor(st.st_rdev),
               *target ? " -> " : "", target);
      if (!first) putchar(',');
      json_str(out);
      first = 0;
    }
    if (d) closedir(d);
  }
  putchar(']');
}

/* The fds the process was given: what each is (a pipe's or socket's inode dropped) and its access mode. */
static void fd_info(const int *fds, int count) {
  putchar('{');
  for (int i = 0; i < count; i++) {
    char p[64], target[512] = "", line[256];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fds[i]);
    ssize_t r = readlink(p, target, sizeof target - 1);
    target[r > 0 ? r : 0] = 0;
    char *br = strchr(target, '[');
    if (br && (strncmp(target, "pipe:", 5) == 0 || strncmp(target, "socket:", 7) == 0 || strncmp(target, "anon_inode:", 11) == 0))
      *br = 0;
    int mode = -1;
    snprintf(p, sizeof p, "/proc/self/fdinfo/%d", fds[i]);
    FILE *f = fopen(p, "r");
    while (f && fgets(line, sizeof line, f))
      if (strncmp(line, "flags:", 6) == 0) mode = (int)(strtol(line + 6, NULL, 8) & O_ACCMODE);
    if (f) fclose(f);
    char out[600];
    snprintf(out, sizeof out, "%s %s", target, mode == O_RDONLY ? "r" : mode == O_WRONLY ? "w" : mode == O_RDWR ? "rw" : "?");
    printf("%s\"%d\":", i ? "," : "", fds[i]);
    json_str(out);
  }
  putchar('}');
}

/* The terminal on stdin, stdout or stderr: its owner and mode (runc makes it the process's uid). */
static void tty_owner(void) {
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (isatty(fd) && fstat(fd, &st) == 0) {
      printf("\"%u %u %o\"", st.st_uid, st.st_gid, st.st_mode & 07777);
      return;
    }
  }
  printf("null");
}

static int report(void) {
  static const char *fields[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp",
                                 "Seccomp_filters", "SigBlk", "SigIgn", "Uid", "Gid", "Groups", "Umask"};
  static const struct { const char *name; int res; } limits[] = {
      {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC}, {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_STACK", RLIMIT_STACK},   {"RLIMIT_AS", RLIMIT_AS},       {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_CPU", RLIMIT_CPU},       {"RLIMIT_FSIZE", RLIMIT_FSIZE}, {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_RSS", RLIMIT_RSS},       {"RLIMIT_LOCKS", RLIMIT_LOCKS}, {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE}, {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME}};
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
  int first = 1, dfd = d ? dirfd(d) : -1, fds[256], nfds = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == dfd) continue;
    printf("%s%s", first ? "" : ",", e->d_name);
    if (nfds < 256) fds[nfds++] = atoi(e->d_name);
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
  printf(",\"PATH\":\"%s\"", env_path ? env_path : "");
  printf(",\"fdInfo\":");
  fd_info(fds, nfds);
  printf(",\"tty\":");
  tty_owner();
  extern char **environ;
  printf(",\"env\":[");
  for (char **v = environ; *v; v++) {
    if (v != environ) putchar(',');
    json_str(*v);
  }
  printf("],\"cgroup\":");
  lines_of("/proc/self/cgroup");
  printf(",\"mounts\":");
  mounts();
  printf(",\"dev\":");
  dev_entries();
  printf(",\"attr\":");
  lines_of("/proc/self/attr/current");
  printf("}\n");
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
