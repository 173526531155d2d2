import Foundation
import XCTest
@testable import KubeHarden
import YAMLSource

/// The image knowledge: `Data/image-profiles.yaml` is embedded as it is, every entry loads and
/// names its sources, references match with or without registry, tag and digest, and
/// `.kubeharden.yaml` `images:` adds or replaces entries.
final class ImageProfileTests: XCTestCase {
  static let dataFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Data/image-profiles.yaml")

  func testEmbeddedDataIsCurrent() throws {
    let text = try String(contentsOf: Self.dataFile, encoding: .utf8)
    XCTAssertEqual(ImageProfileData.yaml + "\n", text, "run Scripts/embed-image-profiles.sh")
  }

  func testEveryEntryLoadsAndCitesItsSources() throws {
    let bytes = Array(try Data(contentsOf: Self.dataFile))
    let catalog = try ImageCatalog(yaml: bytes, path: "image-profiles.yaml")
    let listed = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n").filter { $0.hasPrefix("  - name: ") }.count
    XCTAssertEqual(catalog.entries.count, listed)
    XCTAssertEqual(ImageCatalog.builtIn.entries.count, listed, "the built-in catalog did not load")
    XCTAssertGreaterThanOrEqual(listed, 30)
    for entry in catalog.entries {
      XCTAssertFalse(entry.sources.isEmpty, "\(entry.name): no source")
      XCTAssertTrue(entry.sources.allSatisfy { $0.hasPrefix("https://") }, "\(entry.name): \(entry.sources)")
      XCTAssertTrue(entry.uid != nil || entry.user != nil, "\(entry.name): no user")
      XCTAssertFalse(entry.needsRoot != nil && entry.nonRoot != nil, "\(entry.name): needsRoot and a non-root mode")
    }
    // The images the safety issue names are covered.
    for name in [
      "nginx", "nginxinc/nginx-unprivileged", "postgres", "mysql", "mariadb", "redis", "mongo", "rabbitmq", "httpd", "memcached",
      "busybox", "alpine", "node", "python", "bitnami/postgresql", "grafana/grafana", "prom/prometheus", "elasticsearch/elasticsearch",
      "envoyproxy/envoy", "distroless/static",
    ] {
      XCTAssertNotNil(catalog.profile(for: name), name)
    }
  }

  func testReferencesMatchWithOrWithoutRegistryTagAndDigest() {
    XCTAssertEqual(ImageReference("docker.io/library/postgres:16-alpine@sha256:abc").repository, "postgres")
    XCTAssertEqual(ImageReference("docker.io/library/postgres:16-alpine@sha256:abc").tag, "16-alpine")
    XCTAssertEqual(ImageReference("localhost:5000/team/app:1").repository, "team/app")
    XCTAssertEqual(ImageReference("registry.example.com:5000/app").repository, "app")
    XCTAssertNil(ImageReference("registry.example.com:5000/app").tag)
    XCTAssertEqual(ImageReference("quay.io/prometheus/prometheus:v2.53.0").repository, "prometheus/prometheus")
    XCTAssertEqual(ImageReference("bitnami/redis").repository, "bitnami/redis")
    let catalog = ImageCatalog.builtIn
    XCTAssertEqual(catalog.profile(for: "postgres:16")?.nonRoot?.uid, 999)
    XCTAssertEqual(catalog.profile(for: "docker.io/library/postgres:16.3-alpine3.20")?.nonRoot?.uid, 70, "a tag glob beats the plain entry")
    XCTAssertEqual(catalog.profile(for: "gcr.io/distroless/static:nonroot")?.uid, 65532)
    XCTAssertEqual(catalog.profile(for: "gcr.io/distroless/static")?.uid, 0)
    XCTAssertNil(catalog.profile(for: "registry.example.com/web:1.0"))
    XCTAssertTrue(Glob.matches("*alpine*", "16-alpine3.20"))
    XCTAssertFalse(Glob.matches("*alpine*", "16-bookworm"))
    XCTAssertTrue(Glob.matches("v?.*", "v1.2"))
  }

  func testConfigurationAddsAndReplacesEntries() throws {
    var configuration = Configuration()
    let file = """
      images:
        - name: registry.example.com/team/app
          user: app
          uid: 1500
          writablePaths: [/var/cache/app]
          sources: ["https://example.com/team/app/Dockerfile"]
        - name: nginx
          user: "101"
          uid: 101
      """
    try configuration.apply(configFile: Array(file.utf8), path: ".kubeharden.yaml")
    XCTAssertEqual(configuration.images.profile(for: "registry.example.com/team/app:2")?.uid, 1500)
    XCTAssertEqual(configuration.images.profile(for: "nginx:1.27")?.uid, 101, "the configured entry replaces the built-in one")
    XCTAssertNil(configuration.images.profile(for: "nginx:1.27")?.needsRoot)
    XCTAssertNotNil(configuration.images.profile(for: "postgres"), "the other built-in entries stay")

    // The profile is used: the app keeps its own UID and gets an emptyDir where it writes.
    let manifest = """
      apiVersion: v1
      kind: Pod
      spec:
        containers:
        - name: app
          image: registry.example.com/team/app:2
      """
    let report = Pipeline(configuration: configuration).process(path: "p.yaml", bytes: Array(manifest.utf8))
    let fixed = String(decoding: report.fixed, as: UTF8.self)
    XCTAssertTrue(fixed.contains("runAsUser: 1500"), fixed)
    XCTAssertTrue(fixed.contains("mountPath: /var/cache/app"), fixed)
    XCTAssertFalse(fixed.contains("10001"), fixed)
  }

  func testBadEntriesAreConfigurationErrors() {
    for (file, expected) in [
      ("images:\n  - name: a\n    uid: root\n", "uid"), ("images:\n  - user: a\n", "'name' is required"),
      ("images:\n  - name: a\n    colour: red\n", "unknown key 'colour'"), ("images: {a: 1}\n", "expected a list"),
      ("images:\n  - name: a\n    writablePaths: [tmp]\n", "not an absolute path"),
    ] {
      var configuration = Configuration()
      XCTAssertThrowsError(try configuration.apply(configFile: Array(file.utf8), path: "c.yaml"), file) { error in
        XCTAssertTrue("\(error)".contains(expected), "\(file): \(error)")
      }
    }
  }
}
