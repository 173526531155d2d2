import Foundation
import XCTest
@testable import KubeHarden
import YAMLSource

/// Golden fixtures: `Fixtures/<pass-id>/<case>.input.<ext>` is fixed with only that pass (or
/// every pass under `Fixtures/all/`) and must equal `<case>.expected.<ext>` byte for byte; the
/// findings must equal `<case>.findings.txt`. The expected output must be a fixed point.
/// `RECORD_FIXTURES=1 swift test --filter FixtureTests` rewrites the expected files: read that diff.
final class FixtureTests: XCTestCase {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures")

  struct Case {
    var pass: String
    var input: URL
    var expected: URL
    var findings: URL
    var config: URL
  }

  static func cases() -> [Case] {
    guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
    var result: [Case] = []
    for case let url as URL in walker where url.lastPathComponent.contains(".input.") {
      let pass = url.deletingLastPathComponent().lastPathComponent
      let name = url.lastPathComponent
      let expected = url.deletingLastPathComponent().appendingPathComponent(name.replacingOccurrences(of: ".input.", with: ".expected."))
      let stem = name.components(separatedBy: ".input.")[0]
      let findings = url.deletingLastPathComponent().appendingPathComponent(stem + ".findings.txt")
      let config = url.deletingLastPathComponent().appendingPathComponent(stem + ".config.yaml")
      result.append(Case(pass: pass, input: url, expected: expected, findings: findings, config: config))
    }
    return result.sorted { $0.input.path < $1.input.path }
  }

  /// The pipeline for a fixture: only its folder's pass (every pass under `all/`), plus the
  /// settings of `<case>.config.yaml` when there is one.
  func pipeline(for pass: String, config: URL? = nil) throws -> Pipeline {
    var configuration = pass == "all" ? Configuration() : Configuration(enabledPasses: [pass])
    if let config, let data = try? Data(contentsOf: config) {
      try configuration.apply(configFile: Array(data), path: config.lastPathComponent)
    }
    return Pipeline(configuration: configuration)
  }

  static func describe(_ findings: [Finding]) -> String {
    findings.map { finding in
      var line = "\(finding.start.line):\(finding.start.column): \(finding.passID): \(finding.status.kind): \(finding.message)"
      if let reason = finding.status.reason { line += " (\(reason))" }
      return line + "\n"
    }.joined()
  }

  func testGoldenFixtures() throws {
    let cases = Self.cases()
    XCTAssertGreaterThanOrEqual(cases.count, 20, "fixtures missing under \(Self.root.path)")
    let record = ProcessInfo.processInfo.environment["RECORD_FIXTURES"] == "1"
    for fixture in cases {
      let name = fixture.input.path.replacingOccurrences(of: Self.root.path + "/", with: "")
      if fixture.pass != "all" {
        XCTAssertNotNil(PassRegistry.pass(id: fixture.pass), "\(name): folder is not a pass id")
      }
      let input = Array(try Data(contentsOf: fixture.input))
      let pipeline = try pipeline(for: fixture.pass, config: fixture.config)
      let report = pipeline.process(path: name, bytes: input)
      XCTAssertNil(report.error, "\(name): \(report.error?.description ?? "")")
      let findings = Self.describe(report.findings)
      if record {
        try Data(report.fixed).write(to: fixture.expected)
        try Data(findings.utf8).write(to: fixture.findings)
        continue
      }
      guard let expected = try? Data(contentsOf: fixture.expected) else {
        XCTFail("\(name): no expected file; run with RECORD_FIXTURES=1 and review it")
        continue
      }
      XCTAssertEqual(String(decoding: report.fixed, as: UTF8.self), String(decoding: expected, as: UTF8.self), name)
      XCTAssertEqual(report.fixed, Array(expected), "\(name): bytes differ")
      let expectedFindings = (try? String(contentsOf: fixture.findings, encoding: .utf8)) ?? ""
      XCTAssertEqual(findings, expectedFindings, "\(name): findings differ")
      // The expected output is a fixed point and still parses.
      let again = pipeline.process(path: name, bytes: Array(expected))
      XCTAssertNil(again.error, name)
      XCTAssertEqual(again.fixed, Array(expected), "\(name): not idempotent")
      XCTAssertNoThrow(try YAMLParser.parse(SourceBuffer(Array(expected))), name)
      // Nothing but insertions and replaced scalars or empty-value tokens: edits delete at most a short token.
      if !report.edits.isEmpty {
        XCTAssertTrue(report.edits.allSatisfy { $0.range.count <= "Unconfined".count }, "\(name): an edit deletes more than a token")
      }
    }
  }
}
