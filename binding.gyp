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
      "sources": ["addon/launcher.c"],
      "defines": ["OCIRT_NODE=\"<!(node -p process.execPath)\""],
      "cflags": ["-O2", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
