{
  "variables": {
    "init_sources": ["addon/child.cc", "addon/child_process.cc", "addon/child_exec.cc", "addon/child_console.cc", "addon/rootfs.cc",
                     "addon/plan.cc", "addon/syscalls.cc"],
    "not_in_addon": "init_main.cc child.cc child_process.cc child_exec.cc child_console.cc rootfs.cc child_dryrun.cc"
  },
  "targets": [
    {
      "target_name": "ocirt",
      "sources": ["<!@(node -p \"require('fs').readdirSync('addon').filter(f => f.endsWith('.cc') && !'<(not_in_addon)'.split(' ').includes(f)).map(f => 'addon/' + f).join(' ')\")"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions", "-Wall", "-Wextra"]
    },
    {
      "target_name": "ocirt-init",
      "type": "executable",
      "sources": ["addon/init_main.cc", "<@(init_sources)"],
      "cflags_cc": ["-std=c++17", "-O2", "-fno-exceptions", "-fno-rtti", "-fno-asynchronous-unwind-tables", "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra"],
      "ldflags": ["-static", "-Wl,--gc-sections", "-s"]
    },
    {
      "target_name": "ocirt_test",
      "sources": ["addon/child_dryrun.cc", "addon/module.cc", "<@(init_sources)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions", "-Wall", "-Wextra"]
    },
    {
      "target_name": "ocirt-launcher",
      "type": "executable",
      "sources": ["addon/launcher.c", "addon/fastpath.c"],
      "defines": ["OCIRT_NODE=\"<!(node -p process.execPath)\""],
      "include_dirs": ["<(INTERMEDIATE_DIR)"],
      "actions": [
        {
          "action_name": "record_header",
          "inputs": ["scripts/gen-record-h.js", "src/state/record-fields.ts"],
          "outputs": ["<(INTERMEDIATE_DIR)/ocirt/record.h"],
          "action": ["node", "scripts/gen-record-h.js", "<(INTERMEDIATE_DIR)/ocirt/record.h"]
        }
      ],
      "cflags": ["-O2", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
