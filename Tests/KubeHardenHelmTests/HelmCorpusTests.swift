import Foundation
import KubeHarden
import XCTest

@testable import KubeHardenHelm

/// Every chart of `../shared/corpus/helm` (when present): each of its workload templates is
/// followed (no "cannot follow" finding), its values.yaml gets fixes, no other file would change,
/// and the fixed chart is a fixed point. Rendering with Helm itself is the end-to-end harness's
/// job; this catches a reader regression without Helm.
final class HelmCorpusTests: XCTestCase {
  static var corpus: URL? {
    let shared =
      ProcessInfo.processInfo.environment["KUBEHARDEN_SHARED"].map { URL(fileURLWithPath: $0) }
      ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("shared")
    let url = shared.appendingPathComponent("corpus/helm")
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
  }

  func testCorpusChartsAreFollowedAndFixedOnce() throws {
    guard let corpus = Self.corpus else { throw XCTSkip("SKIPPED: ../shared/corpus/helm is not present") }
    let charts = try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted().filter {
      FileManager.default.fileExists(atPath: corpus.appendingPathComponent("\($0)/Chart.yaml").path)
    }
    XCTAssertGreaterThanOrEqual(charts.count, 12)
    for name in charts {
      let chart = corpus.appendingPathComponent(name).path
      let reports = ChartProcessor.process(directory: chart, valuesBytes: nil, configuration: Configuration())
      let values = try XCTUnwrap(reports.first { $0.path == chart + "/values.yaml" }, name)
      XCTAssertNil(values.error, "\(name): \(values.error.map { "\($0)" } ?? "")")
      XCTAssertTrue(values.changed, "\(name): no fix in values.yaml")
      for report in reports {
        if report.path != values.path { XCTAssertFalse(report.changed, "\(name): \(report.path) would change") }
        for finding in report.findings where finding.passID == "helm-chart" {
          XCTFail("\(name): \(report.path):\(finding.start.line): \(finding.message)")
        }
      }
      let copy = FileManager.default.temporaryDirectory.appendingPathComponent("kubeharden-helm-corpus-\(UUID().uuidString)")
      try FileManager.default.copyItem(atPath: chart, toPath: copy.path)
      defer { try? FileManager.default.removeItem(at: copy) }
      try Data(values.fixed).write(to: copy.appendingPathComponent("values.yaml"))
      let again = ChartProcessor.process(directory: copy.path, valuesBytes: nil, configuration: Configuration())
      XCTAssertEqual(again.first { $0.path == copy.path + "/values.yaml" }?.changed, false, "\(name): a second fix changes values.yaml")
    }
  }
}
