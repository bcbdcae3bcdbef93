// Loads a BPF_PROG_TYPE_CGROUP_DEVICE program (built in TypeScript, src/cgroups/devices-bpf.ts)
// and attaches it to a cgroup2 directory, replacing the programs ocirt attached there before.
// Attached with BPF_F_ALLOW_MULTI so that nested runtimes may add their own programs below; the
// old programs are detached only after the new one is in place, so no access window opens.
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string>
#include <vector>
#include "errors.h"
#include "registry.h"

namespace {

long Bpf(int cmd, union bpf_attr* attr) {
  long rc;
  do rc = syscall(__NR_bpf, cmd, attr, sizeof(*attr));
  while (rc < 0 && errno == EINTR);
  return rc;
}

// The verifier's log, when it refused the program, goes into <what> (errors.h).
Napi::Value Fail(Napi::Env env, const std::string& what, int err, const std::string& log = "") {
  return ocirt::ThrowErrno(env, log.empty() ? what : what + " (verifier: " + log + ")", err);
}

int LoadProgram(const Napi::Buffer<uint8_t>& insns, std::string* log) {
  static char logbuf[16384];
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(insns.Data());
  attr.insn_cnt = static_cast<uint32_t>(insns.Length() / sizeof(struct bpf_insn));
  // The program calls no helpers, so no GPL-only symbol is involved; declare the project's license.
  attr.license = reinterpret_cast<uint64_t>("Apache-2.0");
  int fd = static_cast<int>(Bpf(BPF_PROG_LOAD, &attr));
  if (fd >= 0 || errno != EACCES) return fd;
  // Rejected by the verifier: load again with a log to say why.
  int saved = errno;
  logbuf[0] = 0;
  attr.log_buf = reinterpret_cast<uint64_t>(logbuf);
  attr.log_size = sizeof(logbuf);
  attr.log_level = 1;
  fd = static_cast<int>(Bpf(BPF_PROG_LOAD, &attr));
  if (fd >= 0) return fd;
  *log = logbuf;
  while (!log->empty() && (log->back() == '\n')) log->pop_back();
  for (auto& c : *log) if (c == '\n') c = ';';
  errno = saved;
  return -1;
}

// bpfAttachDevices(insns: Buffer, cgroupDirFd: number): void; throws the addon's Error (errors.h).
Napi::Value BpfAttachDevices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "bpfAttachDevices(insns: Buffer, cgroupDirFd: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto insns = info[0].As<Napi::Buffer<uint8_t>>();
  int cgfd = info[1].As<Napi::Number>().Int32Value();
  if (insns.Length() == 0 || insns.Length() % sizeof(struct bpf_insn) != 0) {
    Napi::TypeError::New(env, "bpfAttachDevices: insns must be a whole number of 8-byte instructions").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  // The programs attached now, to detach once the new one is in.
  std::vector<uint32_t> old(64);
  union bpf_attr q;
  memset(&q, 0, sizeof(q));
  q.query.target_fd = cgfd;
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = reinterpret_cast<uint64_t>(old.data());
  q.query.prog_cnt = static_cast<uint32_t>(old.size());
  if (Bpf(BPF_PROG_QUERY, &q) < 0) return Fail(env, "bpf(BPF_PROG_QUERY)", errno);
  old.resize(q.query.prog_cnt);

  std::string log;
  int prog = LoadProgram(insns, &log);
  if (prog < 0) return Fail(env, "bpf(BPF_PROG_LOAD)", errno, log);

  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.target_fd = cgfd;
  a.attach_bpf_fd = prog;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &a) < 0) {
    int err = errno;
    close(prog);
    return Fail(env, "bpf(BPF_PROG_ATTACH)", err);
  }
  close(prog);  // the attachment holds its own reference

  for (uint32_t id : old) {
    union bpf_attr g;
    memset(&g, 0, sizeof(g));
    g.prog_id = id;
    int ofd = static_cast<int>(Bpf(BPF_PROG_GET_FD_BY_ID, &g));
    if (ofd < 0) continue;  // gone meanwhile
    union bpf_attr d;
    memset(&d, 0, sizeof(d));
    d.target_fd = cgfd;
    d.attach_bpf_fd = ofd;
    d.attach_type = BPF_CGROUP_DEVICE;
    long rc = Bpf(BPF_PROG_DETACH, &d);
    int err = errno;
    close(ofd);
    if (rc < 0 && err != ENOENT) return Fail(env, "bpf(BPF_PROG_DETACH)", err);
  }
  return env.Undefined();
}

ocirt::Export e("bpfAttachDevices", BpfAttachDevices);

}  // namespace
