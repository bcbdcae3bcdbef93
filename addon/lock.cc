// flock(2) for the state directory: Node has no file locks, and two commands on one container
// id (create racing create, delete racing start) must run one after the other.
#include <errno.h>
#include <sys/file.h>
#include "registry.h"

namespace {

// flock(fd, exclusive, wait) -> 0, or the errno (EWOULDBLOCK when !wait and held elsewhere).
Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  bool exclusive = info[1].ToBoolean();
  bool wait = info[2].ToBoolean();
  int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  int rc;
  do rc = flock(fd, op);
  while (rc < 0 && errno == EINTR);
  return Napi::Number::New(env, rc < 0 ? errno : 0);
}

ocirt::Export e("flock", Flock);

}  // namespace
