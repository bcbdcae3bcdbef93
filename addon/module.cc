// Placeholder module so the package builds; the spawn/child interpreter replaces it.
#include <napi.h>
static Napi::Object Init(Napi::Env env, Napi::Object exports) { return exports; }
NODE_API_MODULE(ocirt, Init)
