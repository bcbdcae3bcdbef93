// The user namespace an idmapped mount carries (mount_setattr MOUNT_ATTR_IDMAP takes an fd of
// one). The kernel only hands out such an fd for a namespace some process lives in, so a
// short-lived process is cloned into a new user namespace, its maps are written from here
// (the parent namespace, where ocirt has the capabilities to write any map), the namespace
// is opened through /proc, and the process is let go. This runs in ocirt before the
// container's child is cloned; the child inherits the fd and only attaches it.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string>
#include "errors.h"
#include "registry.h"

namespace {

int WriteFile(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, data.data(), data.size());
  int err = n < 0 ? errno : (static_cast<size_t>(n) != data.size() ? EIO : 0);
  close(fd);
  return err;
}

Napi::Value Fail(Napi::Env env, const char* step, int err) { return ocirt::ThrowErrno(env, step, err, {{"step", Napi::String::New(env, step)}}); }

// idmapUserns(uidMap, gidMap) -> fd (O_CLOEXEC) of a user namespace with those maps, each in
// /proc's "inside outside count" lines. Throws the addon's Error (errors.h) with .step too.
Napi::Value IdmapUserns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string uid_map = info[0].As<Napi::String>().Utf8Value();
  std::string gid_map = info[1].As<Napi::String>().Utf8Value();
  int hold[2];
  if (pipe2(hold, O_CLOEXEC) < 0) return Fail(env, "pipe", errno);
  // fork semantics (no CLONE_VM) in a multithreaded process: the child makes raw syscalls only.
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) {
    int err = errno;
    close(hold[0]);
    close(hold[1]);
    return Fail(env, "clone a process into a new user namespace", err);
  }
  if (pid == 0) {
    char c;
    syscall(SYS_close, hold[1]);
    syscall(SYS_read, hold[0], &c, 1);  // returns at EOF: the parent has the namespace open
    syscall(SYS_exit_group, 0);
  }
  close(hold[0]);
  std::string proc = "/proc/" + std::to_string(pid);
  int err = WriteFile(proc + "/uid_map", uid_map);
  const char* step = "write uid_map";
  if (!err) {
    err = WriteFile(proc + "/gid_map", gid_map);
    step = "write gid_map";
  }
  int fd = -1;
  if (!err) {
    fd = open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      err = errno;
      step = "open the user namespace";
    }
  }
  close(hold[1]);
  if (err) kill(static_cast<pid_t>(pid), SIGKILL);
  int status;
  while (waitpid(static_cast<pid_t>(pid), &status, __WALL) < 0 && errno == EINTR) {
  }
  if (err) return Fail(env, step, err);
  return Napi::Number::New(env, fd);
}

ocirt::Export e("idmapUserns", IdmapUserns);

}  // namespace
