{
  # Built by `npm ci` / `npm install` (package.json "install": node-gyp rebuild --directory native)
  # against the Node headers found through npm's `nodedir`; nothing is downloaded.
  "targets": [
    {
      "target_name": "vrrp_native",
      "sources": [
        "src/addon.cc",
        "src/errors.cc",
        "src/net_util.cc",
        "src/netns.cc",
        "src/polled_fd.cc",
        "src/vrrp_socket.cc",
        "src/periodic_adverts.cc",
        "src/announce.cc",
        "src/claim_watch.cc",
        "src/precise_timer.cc",
        "src/signal_watcher.cc",
        "src/scheduling.cc",
        "src/memory_lock.cc",
        "src/rtnetlink.cc",
        "src/spawn.cc",
        "src/orphan_reaper.cc",
        "src/takeover_kit.cc",
        "src/linkbeat.cc"
      ],
      # node_addon_api_except: node-addon-api's include dir, NAPI_CPP_EXCEPTIONS and -fexceptions.
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      # Node's common.gypi already selects C++17 (gnu++17).
      "cflags_cc": [ "-Wall", "-Wextra" ],
      "conditions": [
        [ "OS!='linux'", { "type": "none" } ]
      ]
    }
  ]
}
