{
  "targets": [
    {
      "target_name": "ocirt",
      "sources": ["<!@(node -p \"require('fs').readdirSync('addon').filter(f => f.endsWith('.cc')).map(f => 'addon/' + f).join(' ')\")"],
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
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
