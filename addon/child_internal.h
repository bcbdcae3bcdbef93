// Shared by the process ops of the container side (child.cc, child_process.cc, child_exec.cc,
// child_console.cc), spawn.cc's clone and ns_exec.cc's forked child. Everything here runs after
// clone: no allocation.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "child.h"
#include "syscalls.h"

namespace ocirt {

// What the init starts from (addon/init_main.cc reads it from its arguments; the dry-run makes
// one up).
struct ChildStart {
  const Plan* plan;
  int sync_fd;  // the child's end of the socketpair
  int fifo_r;   // exec.fifo opened O_RDONLY|O_NONBLOCK by the parent
  int fifo_w;   // and O_WRONLY, so that the read blocks (no EOF) until start writes
  int keep_below;  // 3 + preserved fds: the child closes every other inherited fd at once
  uint32_t first_op = 0;  // the ops before it ran in the clone, before the exec (spawn.cc ExecInit)
};

[[noreturn]] void ChildMain(const ChildStart& start);

// Like ChildFail, but `msg` is the whole message (kErrFullMessage): the exec lookup's phrases.
[[noreturn]] void ChildFailMsg(ChildCtx* ctx, int err, const char* msg);

// Waits for the parent's kSyncAck; anything else ends the child.
void ChildAwaitAck(ChildCtx* ctx);

// Process ops: child_process.cc (namespaces, ids, caps, ...) dispatching to child_exec.cc and
// child_console.cc. Returns 0 or does not return.
int RunProcessOp(ChildCtx* ctx, const Op& op);
int RunExecOp(ChildCtx* ctx, const Op& op);
int RunConsoleOp(ChildCtx* ctx, const Op& op);

// The write end of exec.fifo (fifo_fd is the read end).
extern int g_fifo_w;
// A cwd fd that root could not fchdir into: tried again after the ids changed (ResolveExec).
extern int g_cwd_retry_fd;
extern const char* g_cwd_path;

// ---- tiny string helpers (no libc) ----
inline size_t StrLen(const char* s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
inline bool StrStarts(const char* s, const char* prefix) {
  while (*prefix)
    if (*s++ != *prefix++) return false;
  return true;
}
inline bool StrHas(const char* s, char c) {
  for (; *s; s++)
    if (*s == c) return true;
  return false;
}

// A bounded string builder over a caller's buffer. What does not fit is cut, and the cut is
// marked: the text then ends with "..." (a sync record's detail, a message on stderr), and
// `cut` is set for the callers that must refuse a cut text instead (a path).
struct StrBuf {
  char* p;
  size_t cap;
  size_t n;
  bool cut;
  StrBuf(char* buf, size_t c) : p(buf), cap(c), n(0), cut(false) { p[0] = 0; }
  StrBuf& Add(const char* s) {
    while (*s) Put(*s++);
    return *this;
  }
  StrBuf& AddN(const char* s, size_t len) {
    for (size_t i = 0; i < len; i++) Put(s[i]);
    return *this;
  }
  StrBuf& Num(long v) {
    char tmp[24];
    int i = 0;
    unsigned long u = v < 0 ? 0UL - static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
    do tmp[i++] = static_cast<char>('0' + u % 10);
    while ((u /= 10) && i < 23);
    if (v < 0) Put('-');
    while (i > 0) Put(tmp[--i]);
    return *this;
  }

 private:
  void Put(char c) {
    if (cut) return;
    if (n + 1 < cap) {
      p[n++] = c;
      p[n] = 0;
      return;
    }
    cut = true;
    for (size_t i = 1; i <= 3 && i <= n; i++) p[n - i] = '.';
  }
};

// Writes all of buf to fd (the child's stderr messages, hook stdin).
long WriteAll(int fd, const void* buf, size_t n);

}  // namespace ocirt
