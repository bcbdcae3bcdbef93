// Each addon source file adds its own exports at load time, so files owned by different
// concerns (spawn, rootfs, cgroup BPF) never edit a shared list:
//   static ocirt::Export e("bpfLoadDevices", BpfLoadDevices);
#pragma once
#include <napi.h>

namespace ocirt {

using ExportFn = Napi::Value (*)(const Napi::CallbackInfo&);

struct Export {
  const char* name;
  ExportFn fn;
  Export* next;
  static Export*& Head() {
    static Export* head = nullptr;
    return head;
  }
  Export(const char* n, ExportFn f) : name(n), fn(f), next(Head()) { Head() = this; }
};

}  // namespace ocirt
