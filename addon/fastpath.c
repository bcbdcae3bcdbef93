/*
 * The launcher's fast path: `state`, `start`, `kill` and `delete` of a container in a plain case,
 * answered without starting Node (a Node start costs more than runc's whole `state`, and engines
 * run these commands for every container). fastpath_main() returns the exit code when it
 * answered, or FASTPATH_NODE when Node must: for any flag, record, status or condition it does
 * not fully know (hooks to run, a systemd or paused cgroup, a cgroup another container of the
 * root may share or one that will not go, --debug, a lock held elsewhere...). It hands over
 * only before it has done anything a second run of the command in Node would do differently:
 * reading, taking and dropping the lock, and work Node repeats to the same end (a SIGKILL sent
 * again, a cgroup or state file already gone).
 *
 * What it answers is byte for byte what the TypeScript commands print, exit with and log; each
 * function names the module it mirrors. The record is read against the generated field table
 * (record.h, from src/state/record-fields.ts): a field it does not list, a kind it does not
 * expect, a duplicate key or a number that is not an integer sends the command to Node.
 */
#define _GNU_SOURCE
#include "fastpath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "ocirt/record.h"

static void sleep_ms(int ms);

/* ---------- a small strict JSON reader ---------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
  enum jtype type;
  int b;
  long long n;
  char* s; /* J_STR: UTF-8, NUL-terminated; the record's strings hold no NUL (checked) */
  size_t count;
  char** keys;     /* J_OBJ */
  struct jv* items; /* J_ARR, J_OBJ */
};

struct jp {
  const char* p;
  const char* end;
  int depth;
};

static void jskip(struct jp* j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int put_utf8(char** o, unsigned cp) {
  char* d = *o;
  if (cp < 0x80) *d++ = (char)cp;
  else if (cp < 0x800) {
    *d++ = (char)(0xC0 | (cp >> 6));
    *d++ = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *d++ = (char)(0xE0 | (cp >> 12));
    *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *d++ = (char)(0x80 | (cp & 0x3F));
  } else {
    *d++ = (char)(0xF0 | (cp >> 18));
    *d++ = (char)(0x80 | ((cp >> 12) & 0x3F));
    *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *d++ = (char)(0x80 | (cp & 0x3F));
  }
  *o = d;
  return 0;
}

static int hex4(const char* p, unsigned* out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

/* Length of one well-formed UTF-8 sequence at p, or 0. Node would turn a malformed one into
 * U+FFFD; such records go to Node. */
static size_t utf8_len(const unsigned char* p, const unsigned char* end) {
  unsigned c = p[0];
  size_t n;
  unsigned cp;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
  else return 0;
  if ((size_t)(end - p) < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

static int jstring(struct jp* j, char** out) {
  if (j->p >= j->end || *j->p != '"') return -1;
  j->p++;
  char* buf = malloc((size_t)(j->end - j->p) + 1);
  if (!buf) return -1;
  char* o = buf;
  while (j->p < j->end && *j->p != '"') {
    unsigned char c = (unsigned char)*j->p;
    if (c < 0x20) goto bad;
    if (c != '\\') {
      size_t n = utf8_len((const unsigned char*)j->p, (const unsigned char*)j->end);
      if (!n) goto bad;
      memcpy(o, j->p, n);
      o += n;
      j->p += n;
      continue;
    }
    if (++j->p >= j->end) goto bad;
    char e = *j->p++;
    switch (e) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '/': *o++ = '/'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'n': *o++ = '\n'; break;
      case 'r': *o++ = '\r'; break;
      case 't': *o++ = '\t'; break;
      case 'u': {
        unsigned cp, lo;
        if (j->end - j->p < 4 || hex4(j->p, &cp)) goto bad;
        j->p += 4;
        if (cp == 0) goto bad; /* a NUL would end the C string early */
        if (cp >= 0xDC00 && cp <= 0xDFFF) goto bad;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || hex4(j->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) goto bad;
          j->p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        put_utf8(&o, cp);
        break;
      }
      default: goto bad;
    }
  }
  if (j->p >= j->end) goto bad;
  j->p++;
  *o = 0;
  *out = buf;
  return 0;
bad:
  free(buf);
  return -1;
}

static int jvalue(struct jp* j, struct jv* v);

static int jpush(struct jv* v, size_t* cap) {
  if (v->count < *cap) return 0;
  size_t n = *cap ? *cap * 2 : 8;
  struct jv* items = realloc(v->items, n * sizeof(*items));
  if (!items) return -1;
  v->items = items;
  if (v->type == J_OBJ) {
    char** keys = realloc(v->keys, n * sizeof(*keys));
    if (!keys) return -1;
    v->keys = keys;
  }
  *cap = n;
  return 0;
}

static int jvalue(struct jp* j, struct jv* v) {
  memset(v, 0, sizeof(*v));
  jskip(j);
  if (j->p >= j->end) return -1;
  char c = *j->p;
  if (c == '"') {
    v->type = J_STR;
    return jstring(j, &v->s);
  }
  if (c == '{' || c == '[') {
    if (++j->depth > 32) return -1;
    v->type = c == '{' ? J_OBJ : J_ARR;
    char close = c == '{' ? '}' : ']';
    size_t cap = 0;
    j->p++;
    jskip(j);
    if (j->p < j->end && *j->p == close) {
      j->p++;
      j->depth--;
      return 0;
    }
    for (;;) {
      if (jpush(v, &cap)) return -1;
      if (v->type == J_OBJ) {
        jskip(j);
        char* key;
        if (jstring(j, &key)) return -1;
        for (size_t i = 0; i < v->count; i++)
          if (!strcmp(v->keys[i], key)) return -1; /* JSON.parse keeps the last: leave that to Node */
        v->keys[v->count] = key;
        jskip(j);
        if (j->p >= j->end || *j->p != ':') return -1;
        j->p++;
      }
      if (jvalue(j, &v->items[v->count])) return -1;
      v->count++;
      jskip(j);
      if (j->p >= j->end) return -1;
      if (*j->p == ',') {
        j->p++;
        continue;
      }
      if (*j->p != close) return -1;
      j->p++;
      j->depth--;
      return 0;
    }
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    /* Integers only: a fraction or exponent would need Node's number printing. */
    const char* s = j->p;
    int neg = c == '-';
    if (neg) j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') return -1;
    if (*j->p == '0' && j->p + 1 < j->end && j->p[1] >= '0' && j->p[1] <= '9') return -1;
    long long n = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
      if (j->p - s > 15) return -1; /* past 2^53: leave to Node */
      n = n * 10 + (*j->p++ - '0');
    }
    if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E')) return -1;
    if (neg && n == 0) return -1; /* -0 */
    v->type = J_NUM;
    v->n = neg ? -n : n;
    return 0;
  }
  static const struct {
    const char* w;
    enum jtype t;
    int b;
  } words[] = {{"true", J_BOOL, 1}, {"false", J_BOOL, 0}, {"null", J_NULL, 0}};
  for (size_t i = 0; i < 3; i++) {
    size_t n = strlen(words[i].w);
    if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, words[i].w, n)) {
      j->p += n;
      v->type = words[i].t;
      v->b = words[i].b;
      return 0;
    }
  }
  return -1;
}

static const struct jv* jget(const struct jv* obj, const char* key) {
  if (!obj || obj->type != J_OBJ) return NULL;
  for (size_t i = 0; i < obj->count; i++)
    if (!strcmp(obj->keys[i], key)) return &obj->items[i];
  return NULL;
}

/* A field of a record object, named by the generated table and index. */
#define FIELD(obj, table, idx) jget((obj), (table)[idx].name)

/* Whether obj holds exactly the table's fields, with their kinds. */
static int matches(const struct jv* obj, const struct rec_field* t) {
  if (obj->type != J_OBJ) return 0;
  for (size_t i = 0; i < obj->count; i++) {
    const struct rec_field* f = t;
    while (f->name && strcmp(f->name, obj->keys[i])) f++;
    if (!f->name) return 0;
    const struct jv* v = &obj->items[i];
    switch (f->kind) {
      case REC_STRING: if (v->type != J_STR) return 0; break;
      case REC_INTEGER: if (v->type != J_NUM) return 0; break;
      case REC_BOOLEAN: if (v->type != J_BOOL) return 0; break;
      case REC_ARRAY: if (v->type != J_ARR) return 0; break;
      case REC_MAP:
        if (v->type != J_OBJ) return 0;
        for (size_t k = 0; k < v->count; k++)
          if (v->items[k].type != J_STR) return 0;
        break;
      case REC_OBJECT: if (!matches(v, f->fields)) return 0; break;
    }
  }
  for (const struct rec_field* f = t; f->name; f++)
    if (!f->optional && !jget(obj, f->name)) return 0;
  return 1;
}

/* ---------- output as Node writes it (src/stdio.ts, src/log.ts) ---------- */

struct buf {
  char* p;
  size_t len, cap;
};

static void bput(struct buf* b, const char* s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = (b->len + n + 1) * 2;
    char* p = realloc(b->p, cap);
    if (!p) abort();
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void bstr(struct buf* b, const char* s) { bput(b, s, strlen(s)); }

/* JSON.stringify of a string (valid UTF-8 without lone surrogates: the reader let no other in). */
static void bjson(struct buf* b, const char* s) {
  bput(b, "\"", 1);
  for (const unsigned char* p = (const unsigned char*)s; *p; p++) {
    char esc[8];
    switch (*p) {
      case '"': bput(b, "\\\"", 2); break;
      case '\\': bput(b, "\\\\", 2); break;
      case '\b': bput(b, "\\b", 2); break;
      case '\f': bput(b, "\\f", 2); break;
      case '\n': bput(b, "\\n", 2); break;
      case '\r': bput(b, "\\r", 2); break;
      case '\t': bput(b, "\\t", 2); break;
      default:
        if (*p < 0x20) {
          snprintf(esc, sizeof(esc), "\\u%04x", *p);
          bput(b, esc, 6);
        } else bput(b, (const char*)p, 1);
    }
  }
  bput(b, "\"", 1);
}

static void write_all(int fd, const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        continue;
      }
      return; /* EPIPE and the like: the reader went away */
    }
    s += w;
    n -= (size_t)w;
  }
}

static struct {
  const char* file;
  int json;
} logcfg;

/* src/log.ts error(): a record in --log when given, and the line on stderr. */
static int fail(const char* msg) {
  if (logcfg.file) {
    struct timespec ts;
    struct tm tm;
    char when[96];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ts.tv_nsec / 1000000));
    struct buf line = {0};
    if (logcfg.json) {
      bstr(&line, "{\"level\":\"error\",\"msg\":");
      bjson(&line, msg);
      bstr(&line, ",\"time\":\"");
      bstr(&line, when);
      bstr(&line, "\"}\n");
    } else {
      bstr(&line, "time=\"");
      bstr(&line, when);
      bstr(&line, "\" level=error msg=");
      bjson(&line, msg);
      bstr(&line, "\n");
    }
    int fd = open(logcfg.file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd >= 0) {
      write_all(fd, line.p, line.len);
      close(fd);
    }
    free(line.p);
  }
  struct buf out = {0};
  bstr(&out, msg);
  bstr(&out, "\n");
  write_all(2, out.p, out.len);
  free(out.p);
  return 1;
}

static int failf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static int failf(const char* fmt, ...) {
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return fail(msg);
}

/* ---------- the container (src/runtime/container.ts, src/state/) ---------- */

enum status { ST_CREATING, ST_CREATED, ST_RUNNING, ST_PAUSED, ST_STOPPED };
static const char* const STATUS_TEXT[] = {"creating", "created", "running", "paused", "stopped"};

struct container {
  const char* id;
  char dir[4096];
  struct jv rec; /* valid when has_rec */
  int has_rec;
  enum status status;
};

enum load { LOAD_OK, LOAD_NOT_EXIST, LOAD_NODE };

static int read_file_flags(const char* path, int flags, char** out, size_t* len);
static int read_file(const char* path, char** out, size_t* len) { return read_file_flags(path, 0, out, len); }

/* The rest of fd's file, and fd closed. */
static int read_fd(int fd, char** out, size_t* len) {
  struct buf b = {0};
  char chunk[8192];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      free(b.p);
      errno = e;
      return -1;
    }
    if (n == 0) break;
    bput(&b, chunk, (size_t)n);
  }
  close(fd);
  if (!b.p) bput(&b, "", 0);
  *out = b.p;
  *len = b.len;
  return 0;
}

static int read_file_flags(const char* path, int flags, char** out, size_t* len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) return -1;
  return read_fd(fd, out, len);
}

/* status.ts procStartTime(): field 22 of /proc/<pid>/stat, or NULL when gone or a zombie. */
static char* proc_start_time(long long pid, char* out, size_t n) {
  if (pid <= 0) return NULL;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%lld/stat", pid);
  char* text;
  size_t len;
  if (read_file(path, &text, &len)) return NULL;
  char* paren = strrchr(text, ')');
  char* res = NULL;
  if (paren && paren[1] == ' ') {
    char* p = paren + 2;
    if (*p != 'Z' && *p != 'X') {
      for (int field = 0; field < 19 && p; field++) {
        p = strchr(p, ' ');
        if (p) p++;
      }
      if (p) {
        size_t l = strcspn(p, " ");
        if (l < n) {
          memcpy(out, p, l);
          out[l] = 0;
          res = out;
        }
      }
    }
  }
  free(text);
  return res;
}

static int init_alive(const struct jv* rec) {
  const struct jv* pid = FIELD(rec, rec_fields, REC_pid);
  const struct jv* start = FIELD(rec, rec_fields, REC_initStartTime);
  char now[64];
  return pid->n > 0 && proc_start_time(pid->n, now, sizeof(now)) && !strcmp(now, start->s);
}

/* status.ts frozen(): the recorded freezer file holds the recorded frozen text. */
static int frozen(const struct jv* rec) {
  const struct jv* cg = FIELD(rec, rec_fields, REC_cgroup);
  const struct jv* fz = cg ? FIELD(cg, rec_fields_cgroup, REC_cgroup_freezer) : NULL;
  if (!fz) return 0;
  char* text;
  size_t len;
  if (read_file(FIELD(fz, rec_fields_cgroup_freezer, REC_cgroup_freezer_file)->s, &text, &len)) return 0;
  int hit = memmem(text, len, FIELD(fz, rec_fields_cgroup_freezer, REC_cgroup_freezer_frozen)->s,
                   strlen(FIELD(fz, rec_fields_cgroup_freezer, REC_cgroup_freezer_frozen)->s)) != NULL;
  free(text);
  return hit;
}

static int exists(const char* path) { return access(path, F_OK) == 0; }

/* path.posix.normalize(p) === p for an absolute path: no empty, "." or ".." part, no trailing "/". */
static int normalized(const char* p) {
  if (p[0] != '/') return 0;
  if (!p[1]) return 1;
  for (const char* part = p + 1;;) {
    const char* end = strchr(part, '/');
    size_t n = end ? (size_t)(end - part) : strlen(part);
    if (n == 0 || (n == 1 && part[0] == '.') || (n == 2 && part[0] == '.' && part[1] == '.')) return 0;
    if (!end) return 1;
    part = end + 1;
  }
}

/* store.ts validCgroupDesc(): every directory inside the cgroup mount and named by the path. */
static int valid_cgroup_desc(const struct jv* cg) {
  long long v = FIELD(cg, rec_fields_cgroup, REC_cgroup_version)->n;
  const char* p = FIELD(cg, rec_fields_cgroup, REC_cgroup_path)->s;
  const struct jv* dirs = FIELD(cg, rec_fields_cgroup, REC_cgroup_dirs);
  if ((v != 1 && v != 2) || !strcmp(p, "/") || !normalized(p) || !dirs->count) return 0;
  size_t pl = strlen(p);
  for (size_t i = 0; i < dirs->count; i++) {
    const char* d = dirs->items[i].s;
    size_t dl = strlen(d);
    if (strncmp(d, "/sys/fs/cgroup/", 15) || !normalized(d) || dl < pl || strcmp(d + dl - pl, p)) return 0;
  }
  const struct jv* fz = FIELD(cg, rec_fields_cgroup, REC_cgroup_freezer);
  if (fz && strncmp(FIELD(fz, rec_fields_cgroup_freezer, REC_cgroup_freezer_file)->s, "/sys/fs/cgroup/", 15)) return 0;
  return 1;
}

/* container.ts loadContainer() with status.ts deriveStatus(). */
static enum load load_container(struct container* c) {
  char file[4200];
  snprintf(file, sizeof(file), "%s/state.json", c->dir);
  c->has_rec = 0;
  char* text;
  size_t len;
  /* The record is never followed through a symlink (store.ts reads it O_NOFOLLOW and calls
   * that corrupt); a missing record is a create in progress or one that died, which only Node
   * tells apart (by the create's lock), and a directory or unreadable file is Node's to name. */
  if (read_file_flags(file, O_NOFOLLOW, &text, &len)) {
    if (errno != ENOENT) return LOAD_NODE;
    if (!exists(c->dir)) return LOAD_NOT_EXIST;
    return LOAD_NODE;
  }
  struct jp j = {text, text + len, 0};
  int bad = jvalue(&j, &c->rec);
  jskip(&j);
  if (bad || j.p != j.end || !matches(&c->rec, rec_fields)) return LOAD_NODE;
  /* store.ts validRecord(): a record of another id, a negative pid, or a cgroup that
   * validCgroupDesc() refuses is corrupt, and Node says so. */
  const struct jv* rid = FIELD(&c->rec, rec_fields, REC_id);
  const struct jv* rpid = FIELD(&c->rec, rec_fields, REC_pid);
  if (!rid || strcmp(rid->s, c->id) != 0 || !rpid || rpid->n < 0) return LOAD_NODE;
  const struct jv* rcg = FIELD(&c->rec, rec_fields, REC_cgroup);
  if (rcg && !valid_cgroup_desc(rcg)) return LOAD_NODE;
  /* the record's own strings go out again only through bjson(): no NUL can hide in them (the
   * reader refuses \u0000) */
  c->has_rec = 1;
  const struct jv* creating = FIELD(&c->rec, rec_fields, REC_creating);
  /* A record written while create runs is "creating" or "stopped" by whether that create still
   * holds the lock (src/state/status.ts): Node tells, so it is left to Node either way. */
  if (creating && creating->b) c->status = ST_CREATING;
  else if (!init_alive(&c->rec)) c->status = ST_STOPPED;
  else if (frozen(&c->rec)) c->status = ST_PAUSED;
  else {
    char fifo[4200];
    snprintf(fifo, sizeof(fifo), "%s/exec.fifo", c->dir);
    c->status = exists(fifo) ? ST_CREATED : ST_RUNNING;
  }
  return LOAD_OK;
}

/* What the fast path leaves to Node whatever the command: a record beyond its plain cases. */
static int plain_record(const struct container* c) {
  if (!c->has_rec || c->status == ST_CREATING || c->status == ST_PAUSED) return 0;
  const struct jv* sd = FIELD(&c->rec, rec_fields, REC_systemdCgroup);
  if (sd && sd->b) return 0;
  const struct jv* ann = FIELD(&c->rec, rec_fields, REC_annotations);
  /* JSON.parse puts keys that are array indices first: Node's order, not the file's. */
  for (size_t i = 0; ann && i < ann->count; i++)
    if (strspn(ann->keys[i], "0123456789") == strlen(ann->keys[i])) return 0;
  const struct jv* cg = FIELD(&c->rec, rec_fields, REC_cgroup);
  if (cg) {
    long long v = FIELD(cg, rec_fields_cgroup, REC_cgroup_version)->n;
    if (v != 1 && v != 2) return 0;
  }
  return 1;
}

/* container.ts ociState(): the OCI state plus runc's extras; indent 2 or compact. */
static void oci_state(struct buf* b, const struct container* c, enum status st, int pretty) {
  const struct jv* r = &c->rec;
  const char* nl = pretty ? "\n  " : "";
  const char* sep = pretty ? ": " : ":";
  char num[32];
  long long pid = (st == ST_CREATING || st == ST_CREATED || st == ST_RUNNING || st == ST_PAUSED) ? FIELD(r, rec_fields, REC_pid)->n : 0;
  snprintf(num, sizeof(num), "%lld", pid);
  struct {
    const char* key;
    const char* text;
    int raw;
  } rows[] = {
      {"ociVersion", FIELD(r, rec_fields, REC_ociVersion)->s, 0},
      {"id", c->id, 0},
      {"pid", num, 1},
      {"status", STATUS_TEXT[st], 0},
      {"bundle", FIELD(r, rec_fields, REC_bundle)->s, 0},
      {"rootfs", FIELD(r, rec_fields, REC_rootfs)->s, 0},
      {"created", FIELD(r, rec_fields, REC_created)->s, 0},
      {"owner", FIELD(r, rec_fields, REC_owner)->s, 0},
  };
  bstr(b, "{");
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    if (i) bstr(b, ",");
    bstr(b, nl);
    bjson(b, rows[i].key);
    bstr(b, sep);
    if (rows[i].raw) bstr(b, rows[i].text);
    else bjson(b, rows[i].text);
  }
  const struct jv* ann = FIELD(r, rec_fields, REC_annotations);
  if (ann && ann->count) {
    bstr(b, ",");
    bstr(b, nl);
    bjson(b, "annotations");
    bstr(b, sep);
    bstr(b, "{");
    for (size_t i = 0; i < ann->count; i++) {
      if (i) bstr(b, ",");
      bstr(b, pretty ? "\n    " : "");
      bjson(b, ann->keys[i]);
      bstr(b, sep);
      bjson(b, ann->items[i].s);
    }
    bstr(b, pretty ? "\n  }" : "}");
  }
  bstr(b, pretty ? "\n}" : "}");
}

/* lock.ts lockDir(): the container directory's flock. 0 with *fd set, 1 when held elsewhere
 * (only without wait), -1 for anything else (Node then says what). */
static int lock_dir(const char* dir, int wait, int* fd) {
  *fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (*fd < 0) return -1;
  int rc;
  do rc = flock(*fd, LOCK_EX | (wait ? 0 : LOCK_NB));
  while (rc < 0 && errno == EINTR);
  int busy = rc < 0 && errno == EWOULDBLOCK;
  /* lock.ts lockContainer(): a directory removed or replaced meanwhile is not the one locked */
  struct stat held, cur;
  if (rc == 0 && (fstat(*fd, &held) || stat(dir, &cur) || held.st_ino != cur.st_ino || held.st_dev != cur.st_dev || held.st_nlink == 0)) {
    flock(*fd, LOCK_UN);
    rc = -1;
  }
  if (rc == 0) return 0;
  close(*fd);
  *fd = -1;
  return busy ? 1 : -1;
}

static void unlock_dir(int fd) {
  if (fd < 0) return;
  flock(fd, LOCK_UN);
  close(fd);
}

static int has_hooks(const struct jv* rec, int which) {
  const struct jv* h = FIELD(rec, rec_fields, REC_hooks);
  const struct jv* list = h ? FIELD(h, rec_fields_hooks, which) : NULL;
  return list && list->count > 0;
}

/* ---------- the commands ---------- */

static int cmd_state(struct container* c) {
  enum load l = load_container(c);
  if (l == LOAD_NOT_EXIST) return failf("container \"%s\" does not exist", c->id);
  if (l != LOAD_OK || !plain_record(c)) return FASTPATH_NODE;
  struct buf out = {0};
  oci_state(&out, c, c->status, 1);
  bstr(&out, "\n");
  write_all(1, out.p, out.len);
  free(out.p);
  return 0;
}

/* src/runtime/start.ts */
static int cmd_start(struct container* c) {
  enum load l = load_container(c);
  if (l == LOAD_NOT_EXIST) return failf("container \"%s\" does not exist", c->id);
  if (l != LOAD_OK) return FASTPATH_NODE;
  int lock;
  if (lock_dir(c->dir, 1, &lock)) return FASTPATH_NODE;
  l = load_container(c);
  int rc = FASTPATH_NODE;
  if (l == LOAD_NOT_EXIST) {
    rc = failf("container \"%s\" does not exist", c->id);
    goto out;
  }
  if (l != LOAD_OK || !plain_record(c) || has_hooks(&c->rec, REC_hooks_poststart)) goto out;
  if (c->status == ST_STOPPED) {
    rc = fail("cannot start a container that has stopped");
    goto out;
  }
  if (c->status == ST_RUNNING) {
    rc = fail("cannot start an already running container");
    goto out;
  }
  if (c->status != ST_CREATED) goto out;
  char fifo[4200];
  snprintf(fifo, sizeof(fifo), "%s/exec.fifo", c->dir);
  int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENXIO) rc = failf("cannot start container \"%s\": container not running", c->id);
    goto out;
  }
  struct buf st = {0};
  oci_state(&st, c, ST_RUNNING, 0);
  /* Node writes once; the state is far below a pipe's capacity, so one write takes it all. */
  ssize_t w;
  do w = write(fd, st.p, st.len);
  while (w < 0 && errno == EINTR);
  free(st.p);
  close(fd);
  if (w < 0) goto out; /* nothing reached the init: Node tries again and says what happens */
  unlink(fifo);
  rc = 0;
out:
  unlock_dir(lock);
  return rc;
}

/* src/runtime/signals.ts parseSignal(): -1 for a name it leaves to Node. */
static int parse_signal(const char* raw, int* sig) {
  static const struct {
    const char* name;
    int n;
  } names[] = {{"HUP", 1},   {"INT", 2},   {"QUIT", 3},   {"ILL", 4},     {"TRAP", 5},   {"ABRT", 6},    {"IOT", 6},    {"BUS", 7},
               {"FPE", 8},   {"KILL", 9},  {"USR1", 10},  {"SEGV", 11},   {"USR2", 12},  {"PIPE", 13},   {"ALRM", 14},  {"TERM", 15},
               {"CHLD", 17}, {"STKFLT", 16}, {"CONT", 18}, {"STOP", 19},  {"TSTP", 20},  {"TTIN", 21},   {"TTOU", 22},  {"URG", 23},
               {"XCPU", 24}, {"XFSZ", 25}, {"VTALRM", 26}, {"PROF", 27},  {"WINCH", 28}, {"IO", 29},     {"POLL", 29},  {"PWR", 30},
               {"SYS", 31}};
  if (!raw || !*raw) {
    *sig = SIGTERM;
    return 0;
  }
  size_t len = strlen(raw);
  if (len > 32) return -1;
  if (strspn(raw, "0123456789") == len) {
    if (len <= 2) {
      int n = atoi(raw);
      if (n >= 1 && n <= 64) {
        *sig = n;
        return 0;
      }
    }
    return -1; /* Node's error, or a number with leading zeros: Node decides */
  }
  char up[40];
  for (size_t i = 0; i <= len; i++) {
    char ch = raw[i];
    if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 32);
    else if (ch && !((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))) return -1;
    up[i] = ch;
  }
  const char* name = strncmp(up, "SIG", 3) ? up : up + 3;
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (!strcmp(name, names[i].name)) {
      *sig = names[i].n;
      return 0;
    }
  return -1;
}

/* src/runtime/kill.ts */
static int cmd_kill(struct container* c, const char* signal, int all) {
  int sig;
  /* --all walks the cgroup, and signals a stopped container's leftovers too: Node's. */
  if (all || parse_signal(signal, &sig)) return FASTPATH_NODE;
  enum load l = load_container(c);
  if (l == LOAD_NOT_EXIST) return failf("container \"%s\" does not exist", c->id);
  if (l != LOAD_OK || !plain_record(c)) return FASTPATH_NODE;
  if (c->status == ST_STOPPED) return failf("cannot kill container \"%s\": container not running", c->id);
  if (kill((pid_t)FIELD(&c->rec, rec_fields, REC_pid)->n, sig) == 0) return 0;
  if (errno == ESRCH) return failf("cannot kill container \"%s\": no such process", c->id);
  return FASTPATH_NODE;
}

/* store.ts removeContainerDir(): its files one by one, the intent and then the record last (until
 * then a reader finds a stopped container, not a bare directory that looks like a create in
 * progress), then the directory. 0, or -1 to leave the rest to Node (a subdirectory, an error):
 * what is gone is what Node would remove first. */
static int remove_container_dir(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) return errno == ENOENT ? 0 : -1;
  struct dirent* e;
  int rc = 0;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "state.json") || !strcmp(e->d_name, "intent.json")) continue;
    if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) {
      rc = -1;
      break;
    }
    if (unlinkat(dirfd(d), e->d_name, 0) && errno != ENOENT) {
      rc = -1;
      break;
    }
  }
  static const char* const last[] = {"intent.json", "state.json"};
  for (size_t i = 0; rc == 0 && i < 2; i++)
    if (unlinkat(dirfd(d), last[i], 0) && errno != ENOENT) rc = -1;
  closedir(d);
  if (rc == 0 && rmdir(dir) && errno != ENOENT) rc = -1;
  return rc;
}

/* The recorded cgroup's directories, removed when nothing is left in them (base.ts destroy():
 * its first step). -1 when one stays: Node's destroy() then kills, waits and walks. */
static int remove_cgroup(const struct jv* rec) {
  const struct jv* cg = FIELD(rec, rec_fields, REC_cgroup);
  if (!cg) return 0;
  const struct jv* dirs = FIELD(cg, rec_fields_cgroup, REC_cgroup_dirs);
  for (size_t i = 0; i < dirs->count; i++) {
    /* A cgroup stays busy for a moment after its last task exits (files.ts rmdirRetry()). */
    for (int wait = 1; rmdir(dirs->items[i].s) && errno != ENOENT; wait *= 2) {
      if ((errno != EBUSY && errno != ENOTEMPTY && errno != EAGAIN) || wait > 32) return -1;
      sleep_ms(wait);
    }
  }
  return 0;
}

/* Whether Node would open the same directories as the record lists (cgroup.ts cgroupOf(),
 * index.ts recordedManager()); otherwise Node looks the cgroup up from the host's mounts. */
static int cgroup_as_recorded(const struct jv* rec) {
  const struct jv* cg = FIELD(rec, rec_fields, REC_cgroup);
  if (!cg) return 1;
  const struct jv* dirs = FIELD(cg, rec_fields_cgroup, REC_cgroup_dirs);
  const char* path = FIELD(cg, rec_fields_cgroup, REC_cgroup_path)->s;
  if (FIELD(cg, rec_fields_cgroup, REC_cgroup_version)->n == 1) return dirs->count > 0;
  if (dirs->count != 1 || strcmp(dirs->keys[0], "unified") || path[0] != '/') return 0;
  size_t dl = strlen(dirs->items[0].s), pl = strlen(path);
  return dl >= pl && !strcmp(dirs->items[0].s + dl - pl, path);
}

static void sleep_ms(int ms) {
  struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A JSON file of a state dir read as store.ts readStateFile() reads it (never through a
 * symlink, a regular file only): 0 with *out parsed, 1 when it does not exist, -1 for anything
 * else (unreadable, or JSON this reader leaves to Node). */
static int read_state_json(const char* path, struct jv* out) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 1 : -1;
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    close(fd);
    return -1;
  }
  char* text;
  size_t len;
  if (read_fd(fd, &text, &len)) return -1;
  struct jp j = {text, text + len, 0};
  int bad = jvalue(&j, out);
  jskip(&j);
  return bad || j.p != j.end ? -1 : 0;
}

/* a is b, or one lies inside the other */
static int nested(const char* a, const char* b) {
  size_t la = strlen(a), lb = strlen(b);
  const char* shorter = la <= lb ? a : b;
  const char* longer = la <= lb ? b : a;
  size_t n = la <= lb ? la : lb;
  if (strncmp(shorter, longer, n)) return 0;
  return longer[n] == 0 || longer[n] == '/' || (n > 0 && shorter[n - 1] == '/');
}

/* Whether a cgroup another container describes (its intent's or record's `cgroup`) may reach
 * the processes of ours: the same path or directory, or one inside the other. 1 when it may,
 * or when it has a shape this reader does not expect (Node then decides); 0 when it cannot. */
static int cgroup_meets(const struct jv* mine, const struct jv* theirs) {
  if (!theirs) return 0;
  if (theirs->type != J_OBJ) return 1;
  const struct jv* tp = jget(theirs, "path");
  const struct jv* td = jget(theirs, "dirs");
  if ((tp && tp->type != J_STR) || (td && td->type != J_OBJ)) return 1;
  if (tp && nested(tp->s, FIELD(mine, rec_fields_cgroup, REC_cgroup_path)->s)) return 1;
  const struct jv* md = FIELD(mine, rec_fields_cgroup, REC_cgroup_dirs);
  for (size_t i = 0; td && i < td->count; i++) {
    if (td->items[i].type != J_STR) return 1;
    for (size_t k = 0; k < md->count; k++)
      if (nested(td->items[i].s, md->items[k].s)) return 1;
  }
  return 0;
}

/* remains.ts findRemains() in the case the fast path answers: the record's cgroup is the one
 * cgroup a create of this id may have made (its intent names no other), and no other container
 * of the root names it, nor one inside it or around it, in its intent or record. Node's rule
 * compares paths; this one also compares every directory and refuses nesting, so that a forged
 * record naming a neighbour's cgroup, or a parent of it, under another path is Node's to judge,
 * never killed here. Anything it cannot read sends the command to Node. */
static int cgroup_ours_alone(const char* root, const struct container* c) {
  const struct jv* cg = FIELD(&c->rec, rec_fields, REC_cgroup);
  char file[4200];
  struct jv intent;
  snprintf(file, sizeof(file), "%s/intent.json", c->dir);
  int r = read_state_json(file, &intent);
  if (r < 0) return 0;
  if (r == 0) {
    const struct jv* iid = jget(&intent, "id");
    const struct jv* icg = jget(&intent, "cgroup");
    if (intent.type != J_OBJ || !iid || iid->type != J_STR || strcmp(iid->s, c->id)) return 0;
    if (icg) {
      const struct jv* ip = icg->type == J_OBJ ? jget(icg, "path") : NULL;
      if (!cg || !ip || ip->type != J_STR || strcmp(ip->s, FIELD(cg, rec_fields_cgroup, REC_cgroup_path)->s)) return 0;
    }
  }
  if (!cg) return 1;
  DIR* d = opendir(root);
  if (!d) return 0;
  struct dirent* e;
  int alone = 1;
  while (alone && (e = readdir(d))) {
    if (e->d_name[0] == '.' || !strcmp(e->d_name, c->id)) continue;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
        alone = 0;
        break;
      }
      if (!S_ISDIR(st.st_mode)) continue;
    } else if (e->d_type != DT_DIR)
      continue;
    static const char* const files[] = {"intent.json", "state.json"};
    for (size_t i = 0; alone && i < 2; i++) {
      struct jv other;
      snprintf(file, sizeof(file), "%s/%s/%s", root, e->d_name, files[i]);
      r = read_state_json(file, &other);
      if (r < 0 || (r == 0 && (other.type != J_OBJ || cgroup_meets(cg, jget(&other, "cgroup"))))) alone = 0;
    }
  }
  closedir(d);
  return alone;
}

static int write_text(const char* dir, const char* name, const char* text) {
  char path[4200];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t w;
  do w = write(fd, text, strlen(text));
  while (w < 0 && errno == EINTR);
  int e = errno;
  close(fd);
  errno = e;
  return w == (ssize_t)strlen(text) ? 0 : -1;
}

/* The text of dir/name without its trailing whitespace, compared with want. */
static int reads(const char* dir, const char* name, const char* want) {
  char path[4200], *text;
  size_t len;
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  if (read_file(path, &text, &len)) return 0;
  while (len && (text[len - 1] == '\n' || text[len - 1] == ' ')) len--;
  int same = len == strlen(want) && !memcmp(text, want, len);
  free(text);
  return same;
}

/* v1.ts setFreezer(): write the state, then wait (bounded) until the kernel reports it. */
static int set_freezer(const char* dir, const char* want) {
  long long deadline = now_ms() + 5000;
  for (int wait = 1;; wait = wait * 2 > 20 ? 20 : wait * 2) {
    if (write_text(dir, "freezer.state", want)) return -1;
    if (reads(dir, "freezer.state", want)) return 0;
    if (now_ms() >= deadline) return -1;
    sleep_ms(wait);
  }
}

/* base.ts pids() with killAll(): every process listed under dir, recursively, gets sig. */
static void kill_tree(const char* dir, int sig, int depth) {
  char path[4200], *text;
  size_t len;
  snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
  if (!read_file(path, &text, &len)) {
    for (char* p = text; *p;) {
      char* end;
      long pid = strtol(p, &end, 10);
      if (end == p) break;
      if (pid > 0) kill((pid_t)pid, sig);
      p = end;
      while (*p == '\n') p++;
    }
    free(text);
  }
  if (depth > 64) return;
  DIR* d = opendir(dir);
  if (!d) return;
  struct dirent* e;
  while ((e = readdir(d)))
    if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
      kill_tree(path, sig, depth + 1);
    }
  closedir(d);
}

/* files.ts isCgroupfs(): Node's drivers skip the kernel's confirmations elsewhere; such a record is Node's. */
static int on_cgroupfs(const char* dir) {
  struct statfs s;
  return statfs(dir, &s) == 0 && (s.f_type == 0x27e0eb || s.f_type == 0x63677270);
}

/* The cgroup half of base.ts killAll(9), then destroy()'s thaw of a frozen cgroup: 0 done,
 * FASTPATH_NODE where Node's driver would take another way (no cgroup.kill, no freezer, a
 * frozen cgroup, an error it would report). */
static int kill_cgroup(const struct jv* cg) {
  const struct jv* dirs = FIELD(cg, rec_fields_cgroup, REC_cgroup_dirs);
  if (FIELD(cg, rec_fields_cgroup, REC_cgroup_version)->n == 2) {
    /* v2.ts killAllFast(): cgroup.kill; a cgroup being removed (ENODEV) or gone holds nothing */
    const char* dir = dirs->items[0].s;
    char kf[4200];
    snprintf(kf, sizeof(kf), "%s/cgroup.kill", dir);
    if (access(kf, F_OK) || !on_cgroupfs(dir)) return FASTPATH_NODE;
    if (write_text(dir, "cgroup.kill", "1") && errno != ENODEV && errno != ENOENT) return FASTPATH_NODE;
    /* v2.ts state(): cgroup.events says frozen (Node thaws, and waits for it) */
    char ev[4200], *text;
    size_t len;
    snprintf(ev, sizeof(ev), "%s/cgroup.events", dir);
    if (!read_file(ev, &text, &len)) {
      int frozen = memmem(text, len, "\nfrozen 1", 9) != NULL || (len >= 8 && !memcmp(text, "frozen 1", 8));
      free(text);
      if (frozen) return FASTPATH_NODE;
    } else if (reads(dir, "cgroup.freeze", "1"))
      return FASTPATH_NODE;
    return 0;
  }
  /* v1: frozen while the walk signals, so that nothing escapes it by forking */
  const struct jv* fz = jget(dirs, "freezer");
  if (!fz || !on_cgroupfs(fz->s) || reads(fz->s, "freezer.state", "FROZEN")) return FASTPATH_NODE;
  if (set_freezer(fz->s, "FROZEN")) {
    set_freezer(fz->s, "THAWED");
    return FASTPATH_NODE;
  }
  kill_tree(fz->s, SIGKILL, 0);
  return set_freezer(fz->s, "THAWED") ? FASTPATH_NODE : 0;
}

/* delete.ts releaseFromForeignFreezer()'s first test: whether the init's v1 freezer cgroup is
 * the container's own (or it has none, or is gone). Otherwise Node moves it out of the foreign
 * freezer that holds it. */
static int in_own_freezer(long long pid, const char* cgpath) {
  char path[64], *text;
  size_t len;
  snprintf(path, sizeof(path), "/proc/%lld/cgroup", pid);
  if (read_file(path, &text, &len)) return 1;
  int own = 1;
  for (char* line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char* a = strchr(line, ':');
    char* b = a ? strchr(a + 1, ':') : NULL;
    if (!b) continue;
    *b = 0;
    int freezer = 0;
    for (char* ctl = a + 1; ctl && !freezer;) {
      char* comma = strchr(ctl, ',');
      size_t n = comma ? (size_t)(comma - ctl) : strlen(ctl);
      freezer = n == 7 && !strncmp(ctl, "freezer", 7);
      ctl = comma ? comma + 1 : NULL;
    }
    if (!freezer) continue;
    own = !b[1] || !strcmp(b + 1, cgpath);
    break;
  }
  free(text);
  return own;
}

/* delete.ts destroy(), its killing half, for a live init: SIGKILL to the init by a pidfd opened
 * before its start time is checked (it may have left the cgroup), then to the whole cgroup
 * (which cgroup_ours_alone() found to be this container's alone), then the init's exit awaited.
 * 0 done, 1 failed (reported), FASTPATH_NODE: Node repeats it from where it is (a SIGKILL sent
 * again, a process that is gone stays gone). */
static int kill_container(struct container* c) {
  const struct jv* rec = &c->rec;
  const struct jv* cg = FIELD(rec, rec_fields, REC_cgroup);
  long long pid = FIELD(rec, rec_fields, REC_pid)->n;
  const char* start = FIELD(rec, rec_fields, REC_initStartTime)->s;
  char now[64];
  int init = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (init < 0 && errno != ESRCH) return FASTPATH_NODE;
  if (init >= 0) {
    const char* st = proc_start_time(pid, now, sizeof(now));
    if (!st || strcmp(st, start)) {
      close(init);
      init = -1;
    }
  }
  if (init >= 0) syscall(SYS_pidfd_send_signal, init, SIGKILL, NULL, 0);
  if (cg && kill_cgroup(cg)) goto node;
  if (init < 0) return 0;
  struct pollfd pfd = {init, POLLIN, 0};
  int ready;
  do ready = poll(&pfd, 1, 0);
  while (ready < 0 && errno == EINTR);
  /* An exiting task leaves its cgroups before its pidfd reports the exit: one that seems to be
   * in a foreign freezer gets a moment to finish exiting before Node is asked to free it. */
  if (ready <= 0 && !in_own_freezer(pid, cg ? FIELD(cg, rec_fields_cgroup, REC_cgroup_path)->s : "")) {
    do ready = poll(&pfd, 1, 50);
    while (ready < 0 && errno == EINTR);
    if (ready <= 0) goto node;
  }
  if (ready <= 0) {
    do ready = poll(&pfd, 1, 10000);
    while (ready < 0 && errno == EINTR);
  }
  close(init);
  if (ready > 0) return 0;
  return failf("container \"%s\": init %lld did not exit after SIGKILL", c->id, pid);
node:
  if (init >= 0) close(init);
  return FASTPATH_NODE;
}

/* src/runtime/delete.ts for a container in the plain case: no hooks to run, no host mounts, a
 * cgroupfs cgroup of its own. A created container is killed without --force too (containerd
 * expects it); a running one only with it. */
static int cmd_delete(const char* root, struct container* c, int force) {
  enum load l = load_container(c);
  if (l == LOAD_NOT_EXIST) return force ? 0 : failf("container \"%s\" does not exist", c->id);
  if (l != LOAD_OK || !plain_record(c)) return FASTPATH_NODE;
  /* deleteContainer(): runc's refusal, before the lock */
  if (!force && c->status == ST_RUNNING) return failf("cannot delete container \"%s\" that is not stopped: running", c->id);
  /* lockForDelete() waits for a create or another command in progress, or goes on without a
   * lock whose taker died: Node's, so a lock held elsewhere sends the command there. */
  int lock;
  if (lock_dir(c->dir, 0, &lock)) return FASTPATH_NODE;
  l = load_container(c);
  int rc = FASTPATH_NODE;
  if (l != LOAD_OK || !plain_record(c)) goto out;
  if (!force && c->status == ST_RUNNING) {
    rc = failf("cannot delete container \"%s\" that is not stopped: running", c->id);
    goto out;
  }
  /* hostMounts: mounts of a container without its own mount namespace, which Node removes */
  if (has_hooks(&c->rec, REC_hooks_poststop) || FIELD(&c->rec, rec_fields, REC_hostMounts) || !cgroup_as_recorded(&c->rec) ||
      !cgroup_ours_alone(root, c))
    goto out;
  if (c->status != ST_STOPPED && (rc = kill_container(c))) goto out;
  rc = FASTPATH_NODE;
  if (remove_cgroup(&c->rec) || remove_container_dir(c->dir)) goto out;
  rc = 0;
out:
  unlock_dir(lock);
  return rc;
}

/* ---------- the command line (src/cli/fast-parse.ts over src/cli/table.ts) ---------- */

/* state.ts validateId() and paths.ts containerDir(): ids Node would refuse go to Node. */
static int plain_id(const char* id) {
  size_t n = strlen(id);
  if (n == 0 || n > 1024 || id[0] == '.') return 0;
  for (size_t i = 0; i < n; i++) {
    char ch = id[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '-' || ch == '.')) return 0;
  }
  return 1;
}

/* A --root that path.resolve() leaves as it is: absolute, normalized, printable ASCII. */
static int plain_root(const char* r) {
  size_t n = strlen(r);
  if (n < 2 || r[0] != '/' || r[n - 1] == '/' || n > 3000) return 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)r[i] < 0x20 || (unsigned char)r[i] > 0x7e) return 0;
  if (strstr(r, "//") || strstr(r, "/./") || strstr(r, "/../")) return 0;
  if ((n >= 2 && !strcmp(r + n - 2, "/.")) || (n >= 3 && !strcmp(r + n - 3, "/.."))) return 0;
  return 1;
}

/* The value of a global flag that takes one: "--name V" or "--name=V". NULL when tok is not it. */
static const char* flag_value(const char* tok, const char* name, int argc, char** argv, int* i) {
  size_t n = strlen(name);
  if (strncmp(tok, name, n)) return NULL;
  if (tok[n] == '=') return tok + n + 1;
  if (tok[n] || *i + 1 >= argc) return NULL;
  return argv[++*i];
}

int fastpath_main(int argc, char** argv) {
  const char* root = "/run/ocirt";
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    const char* tok = argv[i];
    const char* v;
    if ((v = flag_value(tok, "--root", argc, argv, &i))) root = v;
    else if ((v = flag_value(tok, "--log-format", argc, argv, &i))) {
      if (!strcmp(v, "json")) logcfg.json = 1;
      else if (!strcmp(v, "text")) logcfg.json = 0;
      else return FASTPATH_NODE;
    } else if ((v = flag_value(tok, "--log", argc, argv, &i))) logcfg.file = *v ? v : NULL;
    else if ((v = flag_value(tok, "--rootless", argc, argv, &i))) {
      if (strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "auto")) return FASTPATH_NODE;
    } else if (!flag_value(tok, "--criu", argc, argv, &i))
      return FASTPATH_NODE; /* --debug, --systemd-cgroup, --version, --help, --, anything else */
  }
  if (i >= argc || !plain_root(root)) return FASTPATH_NODE;
  const char* cmd = argv[i++];
  enum { C_STATE, C_START, C_KILL, C_DELETE } which;
  if (!strcmp(cmd, "state")) which = C_STATE;
  else if (!strcmp(cmd, "start")) which = C_START;
  else if (!strcmp(cmd, "kill")) which = C_KILL;
  else if (!strcmp(cmd, "delete")) which = C_DELETE;
  else return FASTPATH_NODE;

  const char* pos[2];
  int npos = 0, all = 0, force = 0;
  for (; i < argc; i++) {
    const char* tok = argv[i];
    if (tok[0] != '-' || !tok[1]) {
      if (npos == 2) return FASTPATH_NODE;
      pos[npos++] = tok;
    } else if (which == C_KILL && (!strcmp(tok, "--all") || !strcmp(tok, "-a"))) all = 1;
    else if (which == C_DELETE && (!strcmp(tok, "--force") || !strcmp(tok, "-f"))) force = 1;
    else return FASTPATH_NODE;
  }
  if (npos < 1 || npos > (which == C_KILL ? 2 : 1) || !plain_id(pos[0])) return FASTPATH_NODE;

  static struct container c;
  c.id = pos[0];
  snprintf(c.dir, sizeof(c.dir), "%s/%s", root, c.id);
  switch (which) {
    case C_STATE: return cmd_state(&c);
    case C_START: return cmd_start(&c);
    case C_KILL: return cmd_kill(&c, npos > 1 ? pos[1] : NULL, all);
    case C_DELETE: return cmd_delete(root, &c, force);
  }
  return FASTPATH_NODE;
}
