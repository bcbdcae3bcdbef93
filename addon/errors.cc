// See errors.h.
#include "errors.h"

#include "contract.gen.h"

namespace ocirt {

std::string ErrnoMessage(const std::string& what, int err) {
  return err ? what + ": " + ErrnoText(err) : what;
}

Napi::Value ThrowErrno(Napi::Env env, const std::string& what, int err, ErrorProps extra) {
  Napi::Error e = Napi::Error::New(env, ErrnoMessage(what, err));
  if (err) {
    e.Set("errno", Napi::Number::New(env, err));
    if (const char* code = ErrnoName(err)) e.Set("code", Napi::String::New(env, code));
  }
  for (const auto& p : extra) e.Set(p.first, Napi::Value(env, p.second));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace ocirt
