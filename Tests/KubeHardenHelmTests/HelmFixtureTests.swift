import Foundation
import KubeHarden
import XCTest
import YAMLSource

@testable import KubeHardenHelm

/// Golden chart fixtures: `Fixtures/helm/<case>/chart/` is a chart; checking and fixing it with
/// every pass must give `<case>/expected.values.yaml` (its values.yaml after the fix) byte for
/// byte and the findings of `<case>/findings.txt` (`file:line:col: pass: status: message
/// (reason)`, files relative to the chart folder). The fixed values are a fixed point, and no
/// file but values.yaml would change.
/// `RECORD_FIXTURES=1 swift test --filter HelmFixtureTests` rewrites the expected files: read that diff.
final class HelmFixtureTests: XCTestCase {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/helm")

  static func cases() -> [URL] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return names.sorted().map { root.appendingPathComponent($0) }.filter {
      FileManager.default.fileExists(atPath: $0.appendingPathComponent("chart/Chart.yaml").path)
    }
  }

  static func describe(_ reports: [FileReport], chart: String) -> String {
    var lines = ""
    for report in reports {
      let file = report.path.hasPrefix(chart + "/") ? String(report.path.dropFirst(chart.count + 1)) : report.path
      if let error = report.error { lines += "\(file): error: \(error)\n" }
      for finding in report.findings {
        let status = finding.fix?.applicability == .unsafe ? "fixable unsafe" : finding.status.kind
        var line = "\(file):\(finding.start.line):\(finding.start.column): \(finding.passID): \(status): \(finding.message)"
        if let reason = finding.status.reason { line += " (\(reason))" }
        lines += line + "\n"
      }
    }
    return lines
  }

  /// A copy of a chart folder in a temporary folder.
  static func copy(_ chart: URL) throws -> URL {
    let target = FileManager.default.temporaryDirectory.appendingPathComponent("kubeharden-helm-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: chart, to: target)
    return target
  }

  func testGoldenCharts() throws {
    let cases = Self.cases()
    XCTAssertGreaterThanOrEqual(cases.count, 8, "chart fixtures missing under \(Self.root.path)")
    let record = ProcessInfo.processInfo.environment["RECORD_FIXTURES"] == "1"
    for folder in cases {
      let name = folder.lastPathComponent
      let chart = folder.appendingPathComponent("chart").path
      let reports = ChartProcessor.process(directory: chart, valuesBytes: nil, configuration: Configuration())
      let values = try XCTUnwrap(reports.first { $0.path == chart + "/values.yaml" }, name)
      XCTAssertNil(values.error, "\(name): \(values.error.map { "\($0)" } ?? "")")
      for report in reports where report.path != values.path {
        XCTAssertFalse(report.changed, "\(name): \(report.path) would change; only values.yaml may")
        XCTAssertTrue(report.edits.isEmpty, "\(name): \(report.path) has edits")
      }
      let findings = Self.describe(reports, chart: chart)
      let expectedValues = folder.appendingPathComponent("expected.values.yaml")
      let expectedFindings = folder.appendingPathComponent("findings.txt")
      if record {
        try Data(values.fixed).write(to: expectedValues)
        try Data(findings.utf8).write(to: expectedFindings)
      } else {
        XCTAssertEqual(
          String(decoding: values.fixed, as: UTF8.self), try String(contentsOf: expectedValues, encoding: .utf8), "\(name): values.yaml")
        XCTAssertEqual(findings, try String(contentsOf: expectedFindings, encoding: .utf8), "\(name): findings")
      }
      // Every comment of values.yaml is kept.
      let comments = Self.commentLines(values.original)
      let fixedLines = Set(String(decoding: values.fixed, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init))
      for comment in comments { XCTAssertTrue(fixedLines.contains(comment), "\(name): comment lost: \(comment)") }
      // A second run on the fixed chart changes nothing.
      let copy = try Self.copy(URL(fileURLWithPath: chart))
      defer { try? FileManager.default.removeItem(at: copy) }
      try Data(values.fixed).write(to: copy.appendingPathComponent("values.yaml"))
      let again = ChartProcessor.process(directory: copy.path, valuesBytes: nil, configuration: Configuration())
      let againValues = try XCTUnwrap(again.first { $0.path == copy.path + "/values.yaml" })
      XCTAssertFalse(
        againValues.changed, "\(name): a second fix changes values.yaml:\n\(String(decoding: againValues.fixed, as: UTF8.self))")
    }
  }

  static func commentLines(_ bytes: [UInt8]) -> [String] {
    String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init).filter {
      $0.trimmingCharacters(in: .whitespaces).hasPrefix("#")
    }
  }
}
