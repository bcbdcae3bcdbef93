// The module's only job: expose what the other files registered (see registry.h).
#include <napi.h>
#include "registry.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (ocirt::Export* e = ocirt::Export::Head(); e; e = e->next)
    exports.Set(e->name, Napi::Function::New(env, e->fn, e->name));
  return exports;
}
NODE_API_MODULE(ocirt, Init)
