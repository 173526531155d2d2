// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "kubeharden",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "kubeharden", targets: ["kubeharden"]),
    .library(name: "YAMLSource", targets: ["YAMLSource"]),
    .library(name: "KubeHarden", targets: ["KubeHarden"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    .systemLibrary(
      name: "CLibYAML",
      pkgConfig: "yaml-0.1",
      providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]),
    .target(name: "YAMLSource", dependencies: ["CLibYAML"]),
    .target(name: "KubeHarden", dependencies: ["YAMLSource"]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
    .target(name: "KubeHardenHelm", dependencies: ["KubeHarden", "YAMLSource", "CZlib"]),
    .target(name: "KubeHardenOutput", dependencies: ["KubeHarden", "YAMLSource"]),
    .target(name: "KubeHardenReview", dependencies: ["KubeHarden", "KubeHardenOutput", "YAMLSource"]),
    .executableTarget(
      name: "kubeharden",
      dependencies: [
        "KubeHarden", "KubeHardenHelm", "KubeHardenOutput", "KubeHardenReview", "YAMLSource",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(
      name: "kubeharden-bench",
      dependencies: ["YAMLSource", "KubeHarden", "CLibYAML"],
      path: "Benchmarks/ParseBenchmark"),
    .testTarget(name: "YAMLSourceTests", dependencies: ["YAMLSource"]),
    .testTarget(name: "KubeHardenTests", dependencies: ["KubeHarden", "YAMLSource"]),
    .testTarget(name: "KubeHardenOutputTests", dependencies: ["KubeHardenOutput", "KubeHarden", "YAMLSource"]),
    .testTarget(name: "KubeHardenReviewTests", dependencies: ["KubeHardenReview", "KubeHardenOutput", "KubeHarden", "YAMLSource", "kubeharden"]),
    .testTarget(name: "KubeHardenHelmTests", dependencies: ["KubeHardenHelm", "KubeHarden", "YAMLSource"]),
    .testTarget(name: "CLITests", dependencies: ["kubeharden"]),
  ]
)
