// swift-tools-version:6.0
//
// Swift binding of weft's C ABI: the stable include/weft/weft.h, and the
// lower-stability include/weft/sys/weft_sys.h for the batch builder,
// key-value store adapters and the conformance kit.
//
// libweft is not built by SwiftPM: build it with Meson, then pass its
// include and library directories at build time (see README.md):
//
//   swift build -Xcc -I$WEFT_INCLUDE_DIR -Xlinker -L$WEFT_BUILD_DIR \
//               -Xlinker -rpath -Xlinker $WEFT_BUILD_DIR
import PackageDescription

let package = Package(
    name: "Weft",
    products: [
        .library(name: "Weft", targets: ["Weft"]),
        .executable(name: "weft-sync-example", targets: ["weft-sync-example"]),
    ],
    targets: [
        // The C ABI as a Clang module and `-lweft`: `CWeft` is weft.h,
        // the explicit submodule `CWeft.Sys` adds weft/sys/weft_sys.h.
        .systemLibrary(
            name: "CWeft",
            path: "Sources/CWeft",
            pkgConfig: "weft"
        ),
        // The Swift API.
        .target(
            name: "Weft",
            dependencies: ["CWeft"]
        ),
        // Two replicas that converge through the wire format.
        .executableTarget(
            name: "weft-sync-example",
            dependencies: ["Weft"]
        ),
        .testTarget(
            name: "WeftTests",
            dependencies: ["Weft", "CWeft"]
        ),
    ]
)
