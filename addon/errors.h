// The addon's one way to fail a call from JavaScript (the parent side: spawn, nsExec, sendFd,
// idmapUserns, bpfAttachDevices). The child reports through its sync record instead (child.h).
//
// The Error's message is "<what>: <errno text>", the text from the contract's errno table
// (contract.gen.h ErrnoText, the table src/errors.ts words kernel errors with), and it carries
// the errno as numbers and names do in Node: .errno (22) and .code ("EINVAL", when the table has
// the number). err 0 means no errno: the message is <what> alone. `extra` adds properties a
// caller reads (spawn's child errors: opIndex, detail, ...).
#pragma once
#include <napi.h>

#include <initializer_list>
#include <string>
#include <utility>

namespace ocirt {

using ErrorProps = std::initializer_list<std::pair<const char*, napi_value>>;

// Throws (as a pending JavaScript exception) and returns undefined, for `return ThrowErrno(...)`.
Napi::Value ThrowErrno(Napi::Env env, const std::string& what, int err, ErrorProps extra = {});

// "<what>: <errno text>" without throwing, for a message that is built before it is thrown.
std::string ErrnoMessage(const std::string& what, int err);

}  // namespace ocirt
