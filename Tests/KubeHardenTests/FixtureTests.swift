import Foundation
import XCTest
import YAMLSource

@testable import KubeHarden

/// Golden fixtures: `Fixtures/<pass-id>/<case>.input.<ext>` is fixed with only that pass (or
/// every pass under `Fixtures/all/`) and must equal `<case>.expected.<ext>` byte for byte; the
/// findings must equal `<case>.findings.txt`. The expected output must be a fixed point.
/// Where the default run leaves unsafe fixes (or `<case>.unsafe.expected.<ext>` exists), the
/// case is run again with `--unsafe-fixes` against `<case>.unsafe.expected.<ext>` and
/// `<case>.unsafe.findings.txt`.
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
  func pipeline(for pass: String, config: URL? = nil, unsafeFixes: Bool = false) throws -> Pipeline {
    var configuration = pass == "all" ? Configuration() : Configuration(enabledPasses: [pass])
    if let config, let data = try? Data(contentsOf: config) {
      try configuration.apply(configFile: Array(data), path: config.lastPathComponent)
    }
    if unsafeFixes { configuration.unsafeFixes = true }
    return Pipeline(configuration: configuration)
  }

  /// One line per finding: `line:col: pass: status: message (reason)`, where the status of a
  /// finding with an unsafe fix is `fixable unsafe`.
  static func describe(_ findings: [Finding]) -> String {
    findings.map { finding in
      let status = finding.fix?.applicability == .unsafe ? "fixable unsafe" : finding.status.kind
      var line = "\(finding.start.line):\(finding.start.column): \(finding.passID): \(status): \(finding.message)"
      if let reason = finding.status.reason { line += " (\(reason))" }
      return line + "\n"
    }.joined()
  }

  /// `<case>.unsafe.<rest>` beside `url` (`<case>.expected.yaml` → `<case>.unsafe.expected.yaml`).
  static func unsafeTwin(_ url: URL) -> URL {
    let name = url.lastPathComponent
    guard let dot = name.firstIndex(of: ".") else { return url }
    return url.deletingLastPathComponent().appendingPathComponent(name[..<dot] + ".unsafe" + name[dot...])
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
      let defaultRun = try pipeline(for: fixture.pass, config: fixture.config).process(path: name, bytes: input)
      let unsafeExpected = Self.unsafeTwin(fixture.expected)
      let hasUnsafe = defaultRun.findings.contains { $0.fix?.applicability == .unsafe && $0.status.isFixable }
      if !record && hasUnsafe != FileManager.default.fileExists(atPath: unsafeExpected.path) {
        XCTFail("\(name): \(hasUnsafe ? "unsafe fixes but no" : "no unsafe fix but a") \(unsafeExpected.lastPathComponent)")
      }
      for unsafeFixes in hasUnsafe ? [false, true] : [false] {
        try check(fixture, name: name, input: input, unsafeFixes: unsafeFixes, record: record)
      }
      if !hasUnsafe && record {
        try? FileManager.default.removeItem(at: unsafeExpected)
        try? FileManager.default.removeItem(at: Self.unsafeTwin(fixture.findings))
      }
    }
  }

  func check(_ fixture: Case, name: String, input: [UInt8], unsafeFixes: Bool, record: Bool) throws {
    let pipeline = try pipeline(for: fixture.pass, config: fixture.config, unsafeFixes: unsafeFixes)
    let expectedURL = unsafeFixes ? Self.unsafeTwin(fixture.expected) : fixture.expected
    let findingsURL = unsafeFixes ? Self.unsafeTwin(fixture.findings) : fixture.findings
    let name = unsafeFixes ? name + " (--unsafe-fixes)" : name
    let report = pipeline.process(path: name, bytes: input)
    XCTAssertNil(report.error, "\(name): \(report.error?.description ?? "")")
    let findings = Self.describe(report.findings)
    if record {
      try Data(report.fixed).write(to: expectedURL)
      try Data(findings.utf8).write(to: findingsURL)
      return
    }
    guard let expected = try? Data(contentsOf: expectedURL) else {
      XCTFail("\(name): no expected file; run with RECORD_FIXTURES=1 and review it")
      return
    }
    XCTAssertEqual(String(decoding: report.fixed, as: UTF8.self), String(decoding: expected, as: UTF8.self), name)
    XCTAssertEqual(report.fixed, Array(expected), "\(name): bytes differ")
    let expectedFindings = (try? String(contentsOf: findingsURL, encoding: .utf8)) ?? ""
    XCTAssertEqual(findings, expectedFindings, "\(name): findings differ")
    // The expected output is a fixed point and still parses.
    let again = pipeline.process(path: name, bytes: Array(expected))
    XCTAssertNil(again.error, name)
    XCTAssertEqual(again.fixed, Array(expected), "\(name): not idempotent")
    XCTAssertNoThrow(try YAMLParser.parse(SourceBuffer(Array(expected))), name)
    // Nothing but insertions and replaced scalars or empty-value tokens: edits delete at most a
    // short token (a quoted `"unconfined"` AppArmor annotation is the longest), the blanks before
    // it and, for a token alone on its line, one line break; or whole items of a
    // capabilities.add list (the unsafe removal of an added capability).
    if !report.edits.isEmpty {
      let documents = (try? YAMLParser.parse(SourceBuffer(input))) ?? []
      let deletesAToken = report.edits.allSatisfy { edit in
        if CorpusPropertyTests.removesAddedCapabilities(edit, in: input, documents: documents) { return true }
        let deleted = input[edit.range]
        let blanks: [UInt8] = [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n")]
        let token = deleted.filter { !blanks.contains($0) }
        return token.count <= "\"unconfined\"".count && deleted.filter { $0 == UInt8(ascii: "\n") }.count <= 1
      }
      XCTAssertTrue(deletesAToken, "\(name): an edit deletes more than a token")
    }
  }
}
